package io.camelrsync.mirror;

import io.camelrsync.flist.ChangeSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Change sets as the mirror combines them: a path below a tree is part of the tree, the tree "." is a full sync
 * that keeps the paths and trees known to have changed (they are sent first, whatever size and mtime say: see
 * {@link ChangeSet#isWholeTree()}), and a set that grows past its bound becomes a plain full sync (bounded memory;
 * only a same-size rewrite within the same second can then be missed, as by rsync itself). A moved path keeps the
 * paths changed below it after the move, and a path moved twice keeps its first old path as basis.
 */
public final class ChangeSets {
    private ChangeSets() {
    }

    /** The whole source tree: the start-up sync and the recovery after a lost event. */
    public static ChangeSet fullSync() {
        return ChangeSet.builder().add("./").build();
    }

    /**
     * The full sync a message asks for: its body when that is one (a recovery's, naming what changed while
     * events were lost), else the plain full sync (the start-up sync's body is only its reason).
     */
    public static ChangeSet fullSyncOf(Object body) {
        return body instanceof ChangeSet cs && cs.isWholeTree() ? cs : fullSync();
    }

    public static boolean isFullSync(ChangeSet set) {
        return set.trees().contains(".");
    }

    /** Everything in {@code a} and in {@code b}; a full sync when that exceeds {@code maxPaths}. */
    public static ChangeSet merge(ChangeSet a, ChangeSet b, int maxPaths) {
        if (a == null || b == null) {
            return fullSync();
        }
        Set<String> trees = new LinkedHashSet<>(a.trees());
        trees.addAll(b.trees());
        Set<String> paths = new LinkedHashSet<>(a.paths());
        paths.addAll(b.paths());
        Map<String, String> moves = new LinkedHashMap<>(a.moves());
        b.moves().forEach((to, from) -> {
            String first = moves.remove(from);
            moves.put(to, first != null ? first : from);
        });
        return build(trees, paths, moves, maxPaths);
    }

    /**
     * A change set of these trees, paths and moves (new path to old), without entries a tree already covers; a
     * move into a tree goes with the tree.
     */
    static ChangeSet build(Set<String> trees, Set<String> paths, Map<String, String> moves, int maxPaths) {
        if (trees.size() + paths.size() + moves.size() > maxPaths) {
            return fullSync();
        }
        boolean whole = trees.contains(".");
        ChangeSet.Builder b = ChangeSet.builder();
        for (String t : trees) {
            if (!underTree(parentOf(t), trees)) {
                b.add(t + "/");
            }
        }
        moves.forEach((to, from) -> {
            if (!underTree(to, trees)) {
                if (whole) {
                    b.add(to + "/"); // the full sync sends it whole anyway; it is known to have changed
                } else {
                    b.move(from, to);
                }
            }
        });
        for (String p : paths) {
            if (!underTree(p, trees)) {
                b.add(p);
            }
        }
        return b.build();
    }

    /** True when {@code path} or one of its ancestors is in {@code trees}. */
    private static boolean underTree(String path, Set<String> trees) {
        for (String p = path; p != null; p = parentOf(p)) {
            if (trees.contains(p)) {
                return true;
            }
        }
        return false;
    }

    private static String parentOf(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? null : path.substring(0, slash);
    }
}
