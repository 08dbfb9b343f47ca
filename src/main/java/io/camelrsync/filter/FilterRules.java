package io.camelrsync.filter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An ordered, immutable list of include/exclude rules as rsync's --exclude, --include, --exclude-from,
 * --include-from and --filter build it: the first rule that matches decides; no match means included.
 */
public final class FilterRules {
    private static final FilterRules EMPTY = new FilterRules(List.of());

    private final List<FilterRule> rules;

    private FilterRules(List<FilterRule> rules) {
        this.rules = rules;
    }

    public static FilterRules empty() {
        return EMPTY;
    }

    /** --exclude: "+ " and "- " prefixes are honoured as rsync does for these options, "!" clears. */
    public FilterRules withExclude(String pattern) {
        return withOldStyle(pattern, false);
    }

    public FilterRules withInclude(String pattern) {
        return withOldStyle(pattern, true);
    }

    /** --filter rule: "- PAT", "+ PAT", "exclude PAT", "include PAT", or "!"/"clear". */
    public FilterRules withRule(String rule) {
        String[] kp = kindAndPattern(rule);
        if (kp == null) {
            return EMPTY;
        }
        String kind = kp[0];
        String pattern = kp[1];
        return switch (kind) {
            case "-", "exclude" -> with(new FilterRule(false, pattern));
            case "+", "include" -> with(new FilterRule(true, pattern));
            case ".", "merge", ":", "dir-merge" -> throw new IllegalArgumentException("filter rule '" + rule
                    + "': merge and dir-merge rules are not supported; list the patterns with --exclude-from");
            default -> throw new IllegalArgumentException("filter rule '" + rule
                    + "': unsupported rule kind '" + kind + "' (use -, +, exclude, include or !)");
        };
    }

    /**
     * A rule as a client sends it to the receiving side (exclude.c send_rules): protect and risk are exclude
     * and include for deletion, hide/show and rules with the 's' modifier only concern the sender. Merge rules
     * are refused: a daemon never reads files a client names.
     */
    public FilterRules withReceiverRule(String rule) {
        return withSideRule(rule, false);
    }

    /**
     * A rule as a receiving client sends it to our daemon serving a pull (exclude.c): exclude and include, hide
     * and show decide what is sent; protect, risk and rules with the 'r' modifier only concern the receiver.
     */
    public FilterRules withSenderRule(String rule) {
        return withSideRule(rule, true);
    }

    private FilterRules withSideRule(String rule, boolean sender) {
        String[] kp = kindAndPattern(rule);
        if (kp == null) {
            return EMPTY;
        }
        String kind = kp[0];
        String pattern = kp[1];
        String type = kind;
        String modifiers = "";
        int comma = kind.indexOf(',');
        if (comma > 0) {
            type = kind.substring(0, comma);
            modifiers = kind.substring(comma + 1);
        } else if (kind.length() > 1 && "+-PRHS.:".indexOf(kind.charAt(0)) >= 0) {
            type = kind.substring(0, 1);
            modifiers = kind.substring(1);
        }
        for (char m : modifiers.toCharArray()) {
            if (m == (sender ? 'r' : 's')) {
                return this; // the other side's only
            }
            if (m != 'r' && m != 's' && m != 'p') {
                throw new IllegalArgumentException("filter rule '" + rule + "': the modifier '" + m
                        + "' is not supported by this daemon");
            }
        }
        return switch (type) {
            case "-", "exclude" -> with(new FilterRule(false, pattern));
            case "+", "include" -> with(new FilterRule(true, pattern));
            case "P", "protect" -> sender ? this : with(new FilterRule(false, pattern));
            case "R", "risk" -> sender ? this : with(new FilterRule(true, pattern));
            case "H", "hide" -> sender ? with(new FilterRule(false, pattern)) : this;
            case "S", "show" -> sender ? with(new FilterRule(true, pattern)) : this;
            case ".", "merge", ":", "dir-merge" -> throw new IllegalArgumentException("filter rule '" + rule
                    + "': merge rules from a client are refused (the daemon reads no file a client names)");
            default -> throw new IllegalArgumentException("filter rule '" + rule + "': unknown rule kind '" + kind
                    + "'");
        };
    }

    /**
     * rsyncd.conf's "filter", "include" and "exclude" values: whitespace separates the words, and in "filter" a
     * rule kind word ("-", "+", "exclude", ...) takes the next word as its pattern.
     */
    public FilterRules withDaemonWords(String value, String param) {
        FilterRules result = this;
        String[] words = value == null ? new String[0] : value.strip().split("\\s+");
        for (int i = 0; i < words.length; i++) {
            String w = words[i];
            if (w.isEmpty()) {
                continue;
            }
            switch (param) {
                case "exclude" -> result = result.withOldStyle(w, false);
                case "include" -> result = result.withOldStyle(w, true);
                default -> {
                    boolean kindAlone = w.length() == 1 || w.equals("exclude") || w.equals("include")
                            || w.equals("protect") || w.equals("risk") || w.equals("hide") || w.equals("show");
                    if (kindAlone && i + 1 < words.length) {
                        result = result.withReceiverRule(w + " " + words[++i]);
                    } else {
                        result = result.withReceiverRule(w);
                    }
                }
            }
        }
        return result;
    }

    public FilterRules withExcludeFrom(Path file) throws IOException {
        return withFile(file, false);
    }

    public FilterRules withIncludeFrom(Path file) throws IOException {
        return withFile(file, true);
    }

    /** Whether the path is left out; a walker must not descend into an excluded directory. */
    public boolean isExcluded(String relativePath, boolean isDirectory) {
        for (FilterRule r : rules) {
            if (r.matches(relativePath, isDirectory)) {
                return !r.isInclude();
            }
        }
        return false;
    }

    public boolean isEmpty() {
        return rules.isEmpty();
    }

    /** The rules as the daemon receives them, so they also protect its files from --delete. */
    public List<String> wireRules() {
        List<String> out = new ArrayList<>(rules.size());
        rules.forEach(r -> out.add(r.wireText()));
        return out;
    }

    private FilterRules withFile(Path file, boolean include) throws IOException {
        if (file.toString().equals("-")) {
            throw new IllegalArgumentException("reading filter patterns from standard input is not supported;"
                    + " give a file");
        }
        FilterRules result = this;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String l = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
            if (l.isEmpty() || l.startsWith(";") || l.startsWith("#")) {
                continue;
            }
            result = result.withOldStyle(l, include);
        }
        return result;
    }

    private FilterRules withOldStyle(String pattern, boolean include) {
        if (pattern.equals("!")) {
            return EMPTY;
        }
        if (pattern.startsWith("- ")) {
            return with(new FilterRule(false, pattern.substring(2)));
        }
        if (pattern.startsWith("+ ")) {
            return with(new FilterRule(true, pattern.substring(2)));
        }
        return with(new FilterRule(include, pattern));
    }

    private FilterRules with(FilterRule rule) {
        List<FilterRule> next = new ArrayList<>(rules);
        next.add(rule);
        return new FilterRules(Collections.unmodifiableList(next));
    }

    /** A rule's kind and pattern ("- *.o" -> "-", "*.o"); null for "!" and "clear", which empty the list. */
    private static String[] kindAndPattern(String rule) {
        String r = rule.stripLeading(); // exclude.c parse_rule_tok: a trailing space is part of the pattern
        if (r.equals("!") || r.equals("clear")) {
            return null;
        }
        int sep = indexOfSeparator(r);
        return new String[] {sep < 0 ? r : r.substring(0, sep), sep < 0 ? "" : r.substring(sep + 1)};
    }

    private static int indexOfSeparator(String r) {
        for (int i = 0; i < r.length(); i++) {
            char c = r.charAt(i);
            if (c == ' ' || c == '_') {
                return i;
            }
        }
        return -1;
    }
}
