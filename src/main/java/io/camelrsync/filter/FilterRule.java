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
        boolean wild = Wildcard.hasWildcards(p);
        String body = wild ? Wildcard.toRegex(p) : Pattern.quote(p);
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
}
