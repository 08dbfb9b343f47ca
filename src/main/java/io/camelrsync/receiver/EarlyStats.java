package io.camelrsync.receiver;

import io.camelrsync.flist.FileEntry;
import io.camelrsync.flist.FileListReader;
import io.camelrsync.flist.FileListReader.Entry;
import io.camelrsync.fs.Stat;
import io.camelrsync.protocol.RsyncException;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The destination's copy of each regular file, stat'ed while the file list is still arriving: the sender is
 * walking its tree meanwhile, and the generator can start only once the whole list is in and sorted (without
 * incremental recursion). A pull of 100,000 files that changed nothing spent a third of its time in the
 * generator's stats after the list. A kept stat is one the generator's earlier steps cannot have changed: it
 * only replaces a path when it reaches that path's own entry, and below a directory it had to make or replace
 * nothing was reachable here, so nothing was kept.
 */
final class EarlyStats {
    /** Beyond this many files the generator stats the rest itself. */
    static final int MAX_KEPT = 200_000;
    /** What one kept stat holds: the Stat and its map entry, charged to the session's memory. */
    private static final int KEPT_BYTES = 128;

    private final DestinationTree tree;
    private final FileListReader.Budget memory;
    /** Entries of the list so far (what a refusal for memory names). */
    private int arrivals;
    /** By path; a null value is a file that was absent. */
    private final Map<String, Stat> stats = new HashMap<>();
    /** Directories that could not be reached: their files are not tried one by one. */
    private final Set<String> unreachable = new HashSet<>();

    EarlyStats(DestinationTree tree, FileListReader.Budget memory) {
        this.tree = tree;
        this.memory = memory;
    }

    /**
     * An entry as it arrives (the list's reading thread, before the generator starts); fails as the list does
     * when the session's memory is exhausted.
     */
    void arrived(Entry e) throws RsyncException {
        arrivals++;
        if ((e.mode() & FileEntry.S_IFMT) != FileEntry.S_IFREG || stats.size() >= MAX_KEPT) {
            return;
        }
        int slash = e.path().lastIndexOf('/');
        String parent = slash < 0 ? "" : e.path().substring(0, slash);
        if (unreachable.contains(parent)) {
            return;
        }
        memory.charge(arrivals, KEPT_BYTES);
        try (DestinationTree.Node n = tree.locate(e.path(), false)) {
            stats.put(e.path(), n.stat());
        } catch (IOException | RuntimeException notThere) {
            unreachable.add(parent); // the generator finds out again, and makes or reports it
        }
    }

    /** The stat taken as the list arrived (once), else a fresh one. */
    Stat take(String path, DestinationTree.Node dst) throws IOException {
        if (stats.containsKey(path)) {
            return stats.remove(path);
        }
        return dst.stat();
    }
}
