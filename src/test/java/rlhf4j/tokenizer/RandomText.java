package rlhf4j.tokenizer;

import java.util.Random;

/** Random test strings mixing ASCII, whitespace, Latin-1, CJK, emoji, combining marks and any code point. */
final class RandomText {
    private static final String SPECIAL_BITS = " \t\n\r\u000B\f\u0085\u00A0\u2028\u3000'sdlrevmt<|>";

    private RandomText() {
    }

    static String string(Random random, int maxLength) {
        int length = random.nextInt(maxLength + 1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++) {
            sb.appendCodePoint(codePoint(random));
        }
        return sb.toString();
    }

    private static int codePoint(Random random) {
        switch (random.nextInt(8)) {
            case 0:
                return SPECIAL_BITS.charAt(random.nextInt(SPECIAL_BITS.length()));
            case 1:
                return 0x20 + random.nextInt(0x5F);
            case 2:
                return 0x80 + random.nextInt(0x180);
            case 3:
                return 0x4E00 + random.nextInt(0x5200);
            case 4:
                return 0x1F300 + random.nextInt(0x300);
            case 5:
                return 0x300 + random.nextInt(0x70);
            case 6:
                return random.nextInt(0x80);
            default:
                return anyScalar(random);
        }
    }

    private static int anyScalar(Random random) {
        while (true) {
            int cp = random.nextInt(0x110000);
            if (cp < 0xD800 || cp > 0xDFFF) {
                return cp;
            }
        }
    }
}
