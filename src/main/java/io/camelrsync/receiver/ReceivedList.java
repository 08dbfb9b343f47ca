package io.camelrsync.receiver;

import io.camelrsync.fs.Names;
import io.camelrsync.flist.FileListOrder;
import io.camelrsync.flist.FileListReader.Entry;
import io.camelrsync.protocol.RsyncException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The client's file list as the receiver works through it (flist.c flist_sort_and_clean): in rsync's order,
 * with hard-link groups by sorted index, after the list's hygiene: one entry per name, and every name below a
 * directory of the same list (never below a symlink or a file: that is CVE-2024-12087's way out). Names are
 * already clean (FileListReader refuses ".", ".." and empty components).
 */
final class ReceivedList {
    private static final List<Integer> NO_MEMBERS = List.of();

    /** The entries in rsync's order; transfer requests name them by this index. */
    final Entry[] sorted;
    /** Per entry, the sorted index of its hard-link group's first member, or -1. */
    private final int[] firstOfGroup;
    /** A group's first member -> the other members, by sorted index. */
    private final Map<Integer, List<Integer>> members;

    private ReceivedList(Entry[] sorted, int[] firstOfGroup, Map<Integer, List<Integer>> members) {
        this.sorted = sorted;
        this.firstOfGroup = firstOfGroup;
        this.members = members;
    }

    static ReceivedList of(List<Entry> received) throws RsyncException {
        Integer[] order = new Integer[received.size()];
        byte[][] names = new byte[received.size()][];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
            names[i] = Names.encode(received.get(i).path());
        }
        Arrays.sort(order, (x, y) -> FileListOrder.compare(names[x], received.get(x).isDirectory(), names[y],
                received.get(y).isDirectory()));
        Entry[] sorted = new Entry[order.length];
        int[] sortedPos = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            sorted[i] = received.get(order[i]);
            sortedPos[order[i]] = i;
        }
        int[] firstOfGroup = new int[sorted.length];
        Map<Integer, List<Integer>> members = new HashMap<>();
        Map<String, Boolean> isDir = new HashMap<>(sorted.length * 4 / 3 + 1);
        for (Entry e : sorted) {
            if (isDir.put(e.path(), e.isDirectory()) != null) {
                throw RsyncException.protocol("duplicate entry in the file list: " + e.path());
            }
        }
        for (int i = 0; i < sorted.length; i++) {
            Entry e = sorted[i];
            firstOfGroup[i] = e.hardLinkFirst() < 0 ? -1 : sortedPos[e.hardLinkFirst()];
            if (firstOfGroup[i] >= 0) {
                members.computeIfAbsent(firstOfGroup[i], k -> new ArrayList<>()).add(i);
            }
            int slash = e.path().lastIndexOf('/');
            if (slash > 0 && !Boolean.TRUE.equals(isDir.get(e.path().substring(0, slash)))) {
                // generator.c recv_generator's wording (rsync 3.4)
                throw RsyncException.protocol("ABORTING due to invalid path from sender: " + e.path()
                        + " (its parent is not a directory in the file list)");
            }
        }
        return new ReceivedList(sorted, firstOfGroup, members);
    }

    int size() {
        return sorted.length;
    }

    /** Whether the entry is a hard link made from its group's first member instead of a transfer. */
    boolean isLaterLink(int ndx) {
        return firstOfGroup[ndx] >= 0;
    }

    /** The sorted index of the entry's hard-link group's first member, or its own when it is in no group. */
    int groupOf(int ndx) {
        return firstOfGroup[ndx] >= 0 ? firstOfGroup[ndx] : ndx;
    }

    /** The members linked to a group's first member once it is in place. */
    List<Integer> membersOf(int first) {
        return members.getOrDefault(first, NO_MEMBERS);
    }
}
