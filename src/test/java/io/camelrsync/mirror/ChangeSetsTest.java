package io.camelrsync.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.flist.ChangeSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How change sets waiting for a busy target combine, moves included. */
class ChangeSetsTest {
    @Test
    void aPathMovedTwiceKeepsItsFirstPlaceAsBasis() {
        ChangeSet first = ChangeSet.builder().add("q").move("q", "p").build();
        ChangeSet second = ChangeSet.builder().add("p").move("p", "r").build();
        ChangeSet merged = ChangeSets.merge(first, second, 100);
        assertEquals(Map.of("r", "q"), merged.moves());
        assertEquals(Set.of("q", "p"), merged.paths()); // both old places are deleted on the target
    }

    @Test
    void aMoveIntoANewTreeGoesWithTheTreeAndChangesBelowAMoveStay() {
        ChangeSet first = ChangeSet.builder().add("new/").move("a", "new/a").move("b", "moved").add("a")
                .add("b").build();
        ChangeSet second = ChangeSet.of(List.of("moved/written.txt", "new/x"));
        ChangeSet merged = ChangeSets.merge(first, second, 100);
        assertEquals(Map.of("moved", "b"), merged.moves());
        assertEquals(Set.of("new"), merged.trees());
        assertTrue(merged.paths().contains("moved/written.txt"), merged.toString());
        assertTrue(!merged.paths().contains("new/x"), merged.toString());
    }

    @Test
    void movesNotSentWithTheirBasisGoWholeAndSentOnesLeaveTheirParent() {
        ChangeSet set = ChangeSet.builder().add("old").add("other").move("old", "d/moved").move("other", "gone")
                .add("d/moved/changed").build();
        ChangeSet left = set.withMovesSent(Set.of("d/moved"));
        assertTrue(left.moves().isEmpty());
        assertEquals(Set.of("gone"), left.trees());
        assertEquals(Set.of("old", "other", "d/moved/changed", "d"), left.paths());
    }

    @Test
    void aFullSyncKeepsWhatIsKnownToHaveChangedAndSendsMovesWhole() {
        ChangeSet merged = ChangeSets.merge(ChangeSet.builder().add("a").move("a", "b").add("x/y").build(),
                ChangeSets.fullSync(), 100);
        assertTrue(ChangeSets.isFullSync(merged) && merged.moves().isEmpty(), merged.toString());
        assertEquals(Set.of(".", "b"), merged.trees());
        assertEquals(Set.of("a", "x/y"), merged.paths());
        ChangeSet known = merged.known();
        assertEquals(Set.of("b"), known.trees());
        assertEquals(Set.of("a", "x/y"), known.paths());

        ChangeSet tooMany = ChangeSets.merge(merged, ChangeSet.of(List.of("p", "q", "r")), 5);
        assertEquals(ChangeSets.fullSync().toLines(), tooMany.toLines(), "past the bound: a plain full sync");
    }
}
