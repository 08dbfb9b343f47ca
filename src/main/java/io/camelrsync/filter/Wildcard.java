package io.camelrsync.filter;

import java.util.regex.Pattern;

/** rsync's wildmatch syntax as a regex body: '*' (not '/'), "**" (anything), '?', [...] classes, '\' escapes. */
public final class Wildcard {
    private Wildcard() {
    }

    /** exclude.c add_rule: strpbrk(pattern, "*[?"); a backslash alone is a literal character, not an escape. */
    public static boolean hasWildcards(String p) {
        return p.chars().anyMatch(c -> c == '*' || c == '?' || c == '[');
    }

    /** A regex body for the whole pattern (callers add anchoring and flags). */
    public static String toRegex(String p) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            switch (c) {
                case '*' -> {
                    if (i + 1 < p.length() && p.charAt(i + 1) == '*') {
                        re.append(".*");
                        while (i + 1 < p.length() && p.charAt(i + 1) == '*') {
                            i++;
                        }
                    } else {
                        re.append("[^/]*");
                    }
                }
                case '?' -> re.append("[^/]");
                case '[' -> i = charClass(p, i, re);
                case '\\' -> {
                    if (i + 1 < p.length()) {
                        int end = Character.isHighSurrogate(p.charAt(i + 1)) && i + 2 < p.length()
                                && Character.isLowSurrogate(p.charAt(i + 2)) ? i + 3 : i + 2;
                        re.append(Pattern.quote(p.substring(i + 1, end)));
                        i = end - 1;
                    } else {
                        re.append("\\\\");
                    }
                }
                default -> {
                    // a character outside the BMP is two chars: quoted apart, they would match nothing
                    boolean pair = Character.isHighSurrogate(c) && i + 1 < p.length()
                            && Character.isLowSurrogate(p.charAt(i + 1));
                    re.append(Pattern.quote(pair ? p.substring(i, ++i + 1) : String.valueOf(c)));
                }
            }
        }
        return re.toString();
    }

    /** Copies a [...] class starting at p[i]; returns the index of its closing ']'. */
    private static int charClass(String p, int i, StringBuilder re) {
        int j = i + 1;
        StringBuilder cls = new StringBuilder("[");
        if (j < p.length() && (p.charAt(j) == '!' || p.charAt(j) == '^')) {
            cls.append('^');
            j++;
        }
        boolean first = true;
        while (j < p.length() && (p.charAt(j) != ']' || first)) {
            char c = p.charAt(j);
            if (c == '\\' && j + 1 < p.length()) {
                c = p.charAt(++j);
            }
            if (c == '[' && p.startsWith("[:", j)) {
                int end = p.indexOf(":]", j + 2);
                if (end > 0) {
                    cls.append(posixClass(p.substring(j + 2, end)));
                    j = end + 2;
                    first = false;
                    continue;
                }
            }
            if ("\\[]^&-".indexOf(c) >= 0 && !(c == '-' && !first && j + 1 < p.length() && p.charAt(j + 1) != ']')) {
                cls.append('\\');
            }
            cls.append(c);
            first = false;
            j++;
        }
        if (j >= p.length()) {
            re.append(Pattern.quote("[")); // no closing bracket: a literal '[' as wildmatch treats it
            return i;
        }
        re.append(cls).append(']');
        return j;
    }

    private static String posixClass(String name) {
        return switch (name) {
            case "alpha" -> "\\p{Alpha}";
            case "digit" -> "\\p{Digit}";
            case "alnum" -> "\\p{Alnum}";
            case "upper" -> "\\p{Upper}";
            case "lower" -> "\\p{Lower}";
            case "space" -> "\\p{Space}";
            case "punct" -> "\\p{Punct}";
            case "xdigit" -> "\\p{XDigit}";
            default -> throw new IllegalArgumentException("unknown character class [:" + name + ":]");
        };
    }
}
