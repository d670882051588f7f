package rlhf4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How busy the machine was with other processes during a measurement: the CPU time all processes
 * used ({@code /proc/stat}) minus this process's own and its finished children's ({@code
 * /proc/self/stat}), in cores, between
 * {@link #start} and {@link #othersCores}. Also the 1-minute load average and this process's peak
 * resident memory. On a system without {@code /proc} the figures are NaN.
 */
final class MachineLoad {
    private static final double TICKS_PER_SECOND = 100.0; // USER_HZ on Linux

    private final long busyTicks0;
    private final long ownTicks0;
    private final long nanos0;

    private MachineLoad(long busyTicks0, long ownTicks0, long nanos0) {
        this.busyTicks0 = busyTicks0;
        this.ownTicks0 = ownTicks0;
        this.nanos0 = nanos0;
    }

    static MachineLoad start() {
        return new MachineLoad(busyTicks(), ownTicks(), System.nanoTime());
    }

    /** Average number of cores other processes kept busy since {@link #start}. */
    double othersCores() {
        long busy = busyTicks();
        long own = ownTicks();
        double seconds = (System.nanoTime() - nanos0) / 1e9;
        if (busy < 0 || own < 0 || busyTicks0 < 0 || ownTicks0 < 0 || seconds <= 0) {
            return Double.NaN;
        }
        double others = ((busy - busyTicks0) - (own - ownTicks0)) / TICKS_PER_SECOND;
        return Math.max(0, others / seconds);
    }

    /** This process's peak resident set size so far ({@code VmHWM}), in MiB, or NaN. */
    static double peakRssMib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }

    /** The 1-minute load average, or NaN. */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** user + nice + system + irq + softirq + steal ticks of all CPUs, or -1. */
    private static long busyTicks() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (line.startsWith("cpu ")) {
                    String[] f = line.trim().split("\\s+");
                    long sum = 0;
                    for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
                        sum += Long.parseLong(f[i]);
                    }
                    return sum;
                }
            }
        } catch (IOException | RuntimeException e) {
            // no /proc
        }
        return -1;
    }

    /** utime + stime of this process (all threads) and of its waited-for children (the peer), or -1. */
    private static long ownTicks() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split("\\s+");
            // fields 14-17 of stat(5): utime, stime, cutime, cstime
            return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
