package io.camelrsync.filter;

import java.util.regex.Pattern;

/**
 * One include or exclude rule with rsync's pattern semantics (rsync.1.md "PATTERN MATCHING RULES"):
 * a leading '/' anchors to the transfer root, a trailing '/' matches directories only, a pattern with a
 * '/' inside or a "**" matches the full path at any directory boundary, any other pattern only the last
 * component; '*' stops at '/', "**" does not, '?' is one non-'/' character, "dir/***" is the dir and all in it.
 */
public final class FilterRule {
    private final boolean include;
    private final String text;
    private final boolean dirOnly;
    private final boolean wholePath;
    private final boolean anchored;
    private final Pattern regex;
    /** The pattern without wildcards, compared as a string instead of through the regex (hot path). */
    private final String literal;
    private final String slashLiteral;

    FilterRule(boolean include, String pattern) {
        if (pattern.isEmpty()) {
            throw new IllegalArgumentException("empty filter pattern");
        }
        this.include = include;
        this.text = pattern;
        String p = pattern;
        boolean tripleStar = false;
        if (p.endsWith("/***")) {
            tripleStar = true;
            p = p.substring(0, p.length() - 4);
        }
        boolean trailingSlash = !tripleStar && p.endsWith("/") && p.length() > 1;
        if (trailingSlash) {
            p = p.substring(0, p.length() - 1);
        }
        this.dirOnly = trailingSlash;
        this.anchored = p.startsWith("/");
        if (anchored) {
            p = p.substring(1);
        }
        this.wholePath = anchored || tripleStar || p.contains("/") || p.contains("**");
        boolean wild = p.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '\\');
        String body = wild ? translate(p) : Pattern.quote(p);
        String prefix = anchored ? "" : wholePath ? "(?:.*/)?" : "";
        String suffix = tripleStar ? "(?:/.*)?" : "";
        this.regex = Pattern.compile(prefix + body + suffix, Pattern.DOTALL);
        this.literal = !wild && !tripleStar ? p : null;
        this.slashLiteral = "/" + p;
    }

    /** Whether this rule applies to the path (relative to the transfer root, '/'-separated). */
    public boolean matches(String relativePath, boolean isDirectory) {
        if (dirOnly && !isDirectory) {
            return false;
        }
        if (literal != null) {
            if (anchored) {
                return relativePath.equals(literal);
            }
            if (wholePath) {
                return relativePath.equals(literal) || relativePath.endsWith(slashLiteral);
            }
            return relativePath.endsWith(literal) && (relativePath.length() == literal.length()
                    || relativePath.charAt(relativePath.length() - literal.length() - 1) == '/');
        }
        String subject = relativePath;
        if (!wholePath) {
            int slash = relativePath.lastIndexOf('/');
            subject = slash < 0 ? relativePath : relativePath.substring(slash + 1);
        }
        return regex.matcher(subject).matches();
    }

    public boolean isInclude() {
        return include;
    }

    /** The rule as the rsync client sends it to the daemon (exclude.c send_rules with a "+ "/"- " prefix). */
    public String wireText() {
        return (include ? "+ " : "- ") + text;
    }

    @Override
    public String toString() {
        return wireText();
    }

    /** Turns an rsync wildcard pattern into a regex body. */
    private static String translate(String p) {
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
                        re.append(Pattern.quote(String.valueOf(p.charAt(++i))));
                    } else {
                        re.append("\\\\");
                    }
                }
                default -> re.append(Pattern.quote(String.valueOf(c)));
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
