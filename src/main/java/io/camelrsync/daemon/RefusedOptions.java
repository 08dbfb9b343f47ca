package io.camelrsync.daemon;

import io.camelrsync.filter.Wildcard;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * rsyncd.conf "refuse options" (options.c set_refuse_options): each word is an option's long name or short
 * letter, wildcards allowed, "!name" exempts a name a wider pattern caught. Refusing "delete" refuses every
 * --delete-* variant too, as rsync documents.
 */
final class RefusedOptions {
    private static final Map<String, Character> LETTER_OF = Map.ofEntries(
            Map.entry("recursive", 'r'), Map.entry("links", 'l'), Map.entry("hard-links", 'H'),
            Map.entry("perms", 'p'), Map.entry("times", 't'), Map.entry("owner", 'o'), Map.entry("group", 'g'),
            Map.entry("devices", 'D'), Map.entry("checksum", 'c'), Map.entry("dry-run", 'n'),
            Map.entry("compress", 'z'), Map.entry("verbose", 'v'), Map.entry("update", 'u'),
            Map.entry("dirs", 'd'), Map.entry("sparse", 'S'), Map.entry("ignore-times", 'I'),
            Map.entry("whole-file", 'W'), Map.entry("fuzzy", 'y'), Map.entry("itemize-changes", 'i'),
            Map.entry("one-file-system", 'x'), Map.entry("copy-links", 'L'), Map.entry("omit-dir-times", 'O'));

    private RefusedOptions() {
    }

    /** The client-facing message for the first used option the module refuses, or null. */
    static String check(List<String> patterns, Set<String> used) {
        for (String name : used) {
            if (refused(patterns, name)) {
                Character letter = LETTER_OF.get(name);
                return "rsync: The server is configured to refuse --" + name
                        + (letter == null ? "" : " (-" + letter + ")");
            }
        }
        return null;
    }

    private static boolean refused(List<String> patterns, String name) {
        boolean refused = false;
        for (String p : patterns) {
            boolean negated = p.startsWith("!");
            String pat = negated ? p.substring(1) : p;
            if (matches(pat, name)) {
                if (negated) {
                    return false;
                }
                refused = true;
            }
        }
        return refused;
    }

    private static boolean matches(String pattern, String name) {
        if (pattern.length() == 1) {
            Character letter = LETTER_OF.get(name);
            return letter != null && letter == pattern.charAt(0);
        }
        if (pattern.equals("delete") && (name.startsWith("delete") || name.equals("del"))) {
            return true;
        }
        return Wildcard.hasWildcards(pattern) ? name.matches(Wildcard.toRegex(pattern)) : name.equals(pattern);
    }
}
