package io.camelrsync.protocol;

/**
 * Text from a peer made safe to print or log: control characters become rsync's "\#ooo" escapes, so a daemon
 * cannot move the cursor, retitle the terminal or forge log lines.
 */
public final class Printable {
    private Printable() {
    }

    public static String of(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean control = (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f || (c >= 0x80 && c < 0xa0);
            if (control && sb == null) {
                sb = new StringBuilder(s.length() + 8).append(s, 0, i);
            }
            if (sb != null) {
                if (control) {
                    sb.append(String.format("\\#%03o", (int) c));
                } else {
                    sb.append(c);
                }
            }
        }
        return sb == null ? s : sb.toString();
    }
}
