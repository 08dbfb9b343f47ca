package io.camelrsync.filter;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Patterns with characters outside the BMP (two Java chars each): a protect rule of a change set's deletion in such
 * a directory must match its siblings, or a receiver would delete them.
 */
class WildcardNamesTest {
    @Test
    void anEmojiInAWildcardPatternMatchesItself() {
        FilterRules rules = FilterRules.empty().withExclude("/a/emoji\uD83D\uDE00/*");
        assertTrue(rules.isExcluded("a/emoji\uD83D\uDE00/sibling", false));
        assertFalse(rules.isExcluded("a/emoji\uD83D\uDE01/sibling", false));
        assertTrue(FilterRules.empty().withExclude("x\\\uD83D\uDE00*").isExcluded("d/x\uD83D\uDE00y", false));
    }
}
