package rlhf4j.tokenizer;

/** Well-formed UTF-8 recognition (Unicode Table 3-7): no overlongs, no surrogates, nothing past U+10FFFF. */
final class Utf8 {
    private Utf8() {
    }

    /** Length (1-4) of the well-formed sequence starting at bytes[i], or 0 when it is ill-formed. */
    static int sequenceLength(byte[] bytes, int i) {
        int b0 = bytes[i] & 0xFF;
        if (b0 < 0x80) {
            return 1;
        }
        if (b0 < 0xC2 || b0 > 0xF4) {
            return 0;
        }
        if (b0 < 0xE0) {
            return continuation(bytes, i + 1, 0x80, 0xBF) ? 2 : 0;
        }
        if (b0 < 0xF0) {
            int lo = b0 == 0xE0 ? 0xA0 : 0x80;
            int hi = b0 == 0xED ? 0x9F : 0xBF;
            return continuation(bytes, i + 1, lo, hi) && continuation(bytes, i + 2, 0x80, 0xBF) ? 3 : 0;
        }
        int lo = b0 == 0xF0 ? 0x90 : 0x80;
        int hi = b0 == 0xF4 ? 0x8F : 0xBF;
        return continuation(bytes, i + 1, lo, hi) && continuation(bytes, i + 2, 0x80, 0xBF)
                && continuation(bytes, i + 3, 0x80, 0xBF) ? 4 : 0;
    }

    private static boolean continuation(byte[] bytes, int i, int lo, int hi) {
        if (i >= bytes.length) {
            return false;
        }
        int b = bytes[i] & 0xFF;
        return b >= lo && b <= hi;
    }
}
