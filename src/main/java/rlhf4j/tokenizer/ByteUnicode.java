package rlhf4j.tokenizer;

import java.util.Arrays;

/**
 * GPT-2's bytes_to_unicode table: maps each byte to a printable character so that byte strings can be
 * written as vocabulary strings ("Ġ" is the space byte). Printable Latin-1 bytes map to themselves, the
 * others to U+0100 and up in byte order.
 */
final class ByteUnicode {
    private static final char[] BYTE_TO_CHAR = buildTable();
    private static final int[] CHAR_TO_BYTE = invert(BYTE_TO_CHAR);

    private ByteUnicode() {
    }

    private static char[] buildTable() {
        char[] table = new char[256];
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            table[b] = printable ? (char) b : (char) (256 + extra++);
        }
        return table;
    }

    private static int[] invert(char[] table) {
        int max = 0;
        for (char c : table) {
            max = Math.max(max, c);
        }
        int[] inverse = new int[max + 1];
        Arrays.fill(inverse, -1);
        for (int b = 0; b < 256; b++) {
            inverse[table[b]] = b;
        }
        return inverse;
    }

    /** The vocabulary string of a byte sequence. */
    static String encode(byte[] bytes) {
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(out);
    }

    /** The bytes of a vocabulary string, or null when it holds a character outside the table. */
    static byte[] decode(String token) {
        byte[] out = new byte[token.length()];
        for (int i = 0; i < out.length; i++) {
            char c = token.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) {
                return null;
            }
            out[i] = (byte) b;
        }
        return out;
    }
}
