package io.camelrsync.daemon;

import io.camelrsync.filter.Wildcard;
import io.camelrsync.protocol.ClientArgs;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * rsyncd.conf "refuse options" (options.c set_refuse_options): each word is an option's long name or short
 * letter, wildcards allowed, "!name" exempts a name a wider pattern caught. Refusing "delete" refuses every
 * --delete-* variant too, as rsync documents.
 */
final class RefusedOptions {
    /** A long name's short letter, so that refusing "compress" also refuses -z. */
    private static final Map<String, Character> LETTER_OF = ClientArgs.LETTERS.entrySet().stream()
            .collect(Collectors.toUnmodifiableMap(Map.Entry::getValue, Map.Entry::getKey));

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
