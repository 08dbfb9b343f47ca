package io.camelrsync.mirror;

import io.camelrsync.flist.ChangeSet;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Change sets as the mirror combines them: a path below a tree is part of the tree, the tree "." is a full sync that
 * absorbs everything, and a set that grows past its bound becomes a full sync (bounded memory, nothing lost).
 */
public final class ChangeSets {
    private ChangeSets() {
    }

    /** The whole source tree: the start-up sync and the recovery after a lost event. */
    public static ChangeSet fullSync() {
        return ChangeSet.builder().add("./").build();
    }

    public static boolean isFullSync(ChangeSet set) {
        return set.trees().contains(".");
    }

    /** Everything in {@code a} and in {@code b}; a full sync when that exceeds {@code maxPaths}. */
    public static ChangeSet merge(ChangeSet a, ChangeSet b, int maxPaths) {
        if (a == null || b == null || isFullSync(a) || isFullSync(b)) {
            return fullSync();
        }
        Set<String> trees = new LinkedHashSet<>(a.trees());
        trees.addAll(b.trees());
        Set<String> paths = new LinkedHashSet<>(a.paths());
        paths.addAll(b.paths());
        return build(trees, paths, maxPaths);
    }

    /** A change set of these trees and paths, without entries a tree already covers. */
    static ChangeSet build(Set<String> trees, Set<String> paths, int maxPaths) {
        if (trees.contains(".") || trees.size() + paths.size() > maxPaths) {
            return fullSync();
        }
        List<String> lines = new ArrayList<>();
        for (String t : trees) {
            if (!underTree(parentOf(t), trees)) {
                lines.add(t + "/");
            }
        }
        for (String p : paths) {
            if (!underTree(p, trees)) {
                lines.add(p);
            }
        }
        return ChangeSet.of(lines);
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
