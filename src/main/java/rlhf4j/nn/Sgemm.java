package rlhf4j.nn;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;

import java.util.Arrays;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * FLOAT matrix products straight through OpenBLAS's {@code cblas_sgemm} (the library ND4J itself
 * links, with the thread count ND4J set), for dense row-major arrays. ND4J's {@code Nd4j.gemm}
 * reaches the same routine through a custom op, which costs 40–150 µs per call around it: twice
 * the product itself for the few-row products of sampling (8×128 by 128×384: 85 µs against 39
 * µs). Arrays must be dense C-order FLOAT from their buffer's start ({@link FloatKernels#isDense}).
 */
public final class Sgemm {
    private Sgemm() {}

    /** {@code c = alpha·op(a)·op(b) + beta·c} for 2-D a, b, c; op transposes when asked. */
    public static void gemm(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c, float alpha, float beta) {
        check(a, 2);
        check(b, 2);
        check(c, 2);
        int m = (int) c.size(0);
        int n = (int) c.size(1);
        int k = (int) (transA ? a.size(0) : a.size(1));
        if ((transA ? a.size(1) : a.size(0)) != m || (transB ? b.size(0) : b.size(1)) != n
                || (transB ? b.size(1) : b.size(0)) != k) {
            throw new IllegalArgumentException("gemm shapes: " + shape(a, transA) + " x " + shape(b, transB) + " -> "
                    + Arrays.toString(c.shape()));
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k,
                alpha, pointer(a), (int) a.size(1), pointer(b), (int) b.size(1), beta, pointer(c), n);
    }

    /** {@link #gemm} for each of the G matrices of 3-D a, b, c [G, rows, cols]. */
    public static void batched(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c, float alpha,
                               float beta) {
        check(a, 3);
        check(b, 3);
        check(c, 3);
        int groups = (int) c.size(0);
        int m = (int) c.size(1);
        int n = (int) c.size(2);
        int k = (int) (transA ? a.size(1) : a.size(2));
        if (a.size(0) != groups || b.size(0) != groups || (transA ? a.size(2) : a.size(1)) != m
                || (transB ? b.size(1) : b.size(2)) != n || (transB ? b.size(2) : b.size(1)) != k) {
            throw new IllegalArgumentException("batched gemm shapes: " + Arrays.toString(a.shape()) + " x "
                    + Arrays.toString(b.shape()) + " -> " + Arrays.toString(c.shape()));
        }
        FloatPointer pa = pointer(a);
        FloatPointer pb = pointer(b);
        FloatPointer pc = pointer(c);
        long sa = a.size(1) * a.size(2);
        long sb = b.size(1) * b.size(2);
        long sc = (long) m * n;
        int lda = (int) a.size(2);
        int ldb = (int) b.size(2);
        for (int g = 0; g < groups; g++) {
            cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n,
                    k, alpha, pa.position(g * sa), lda, pb.position(g * sb), ldb, beta, pc.position(g * sc), n);
        }
    }

    private static FloatPointer pointer(INDArray x) {
        return new FloatPointer(x.data().addressPointer());
    }

    private static void check(INDArray x, int rank) {
        if (x.rank() != rank || !FloatKernels.isDense(x)) {
            throw new IllegalArgumentException("a dense C-order FLOAT array of rank " + rank + " is needed, got "
                    + x.shapeInfoToString());
        }
    }

    private static String shape(INDArray x, boolean t) {
        return Arrays.toString(x.shape()) + (t ? "ᵀ" : "");
    }
}
