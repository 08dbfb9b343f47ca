package io.camelrsync.receiver;

import io.camelrsync.flist.FileEntry;
import io.camelrsync.flist.FileListReader.Entry;
import io.camelrsync.fs.FsException;
import io.camelrsync.fs.NativeFile;
import io.camelrsync.fs.Stat;
import io.camelrsync.protocol.ClientArgs;
import io.camelrsync.protocol.ItemFlags;
import io.camelrsync.protocol.WireOutput;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The generator's use of the alt dirs (--link-dest, --copy-dest, --compare-dest; generator.c try_dests_reg,
 * try_dests_non and the quick_check_ok they search with): a file of the list that an alt dir already holds is
 * hard-linked, copied or compared away here, or its alt file becomes the basis of the delta.
 */
final class TryDests {
    private final ReceiveRole role;
    private final Generator gen;
    private final ClientArgs args;
    private final boolean dryRun;
    private final DestinationTree tree;
    /** --link-dest, --copy-dest or --compare-dest dirs, open; null without them. */
    private final AltDests alts;
    private final ReceiveStats stats;

    TryDests(ReceiveRole role, Generator gen) {
        this.role = role;
        this.gen = gen;
        this.args = role.args;
        this.dryRun = role.dryRun;
        this.tree = role.tree;
        this.alts = role.alts;
        this.stats = role.stats;
    }

    /** What try_dests_reg did with the file. */
    enum Handled { NO, DONE, COMPARED_AWAY }

    /** try_dests_reg's answer: done here (linked, copied, compared away), an alt file as basis, or nothing. */
    record AltOutcome(Handled handled, AltMatch basis) {
        static final AltOutcome NOTHING = new AltOutcome(Handled.NO, null);
        static final AltOutcome DONE = new AltOutcome(Handled.DONE, null);
        static final AltOutcome COMPARED_AWAY = new AltOutcome(Handled.COMPARED_AWAY, null);
    }

    /**
     * generator.c try_dests_reg: the alt file that stands for this one. An exact match (level 3) is hard-linked
     * into place with --link-dest (what was there is replaced: it is backed up when the client asked for backups,
     * where rsync unlinks it) and with --compare-dest means nothing is needed here (one in its place is removed,
     * as rsync removes it); a match of content only (level 2), --copy-dest's exact match, or a link that cannot
     * be made is copied into place here; a regular file that differs is the basis of the delta (level 1). When
     * the destination exists ({@code a} not null) only an exact match counts.
     */
    AltOutcome tryDestsReg(WireOutput out, int ndx, Entry e, DestinationTree.Node dst, Stat a)
            throws IOException {
        AltMatch m = findAlt(e);
        if (m == null) {
            return AltOutcome.NOTHING;
        }
        boolean basis = false;
        try {
            if (m.level() == 3 && alts.kind != AltDests.Kind.COPY) {
                if (a != null && alts.kind == AltDests.Kind.LINK && m.stat().sameFile(a)) {
                    return AltOutcome.NOTHING; // already that file: the quick check keeps it
                }
                if (alts.kind == AltDests.Kind.COMPARE) {
                    if (a != null && !dryRun) {
                        tree.remove(dst, false);
                        role.changed(ndx); // gone from here: a relay deletes it too
                    }
                    return AltOutcome.COMPARED_AWAY; // itemized with nothing that differs: nothing to send
                }
                if (dryRun || tree.linkFrom(m.node(), m.stat(), dst)) {
                    if (!dryRun) {
                        stats.linkedFiles++;
                        role.changed(ndx);
                        role.linkGroup(ndx, dst);
                    }
                    return AltOutcome.DONE; // hard_link_one: reported at -vv/-ii only, which are not sent
                }
                // try_a_copy
            } else if (a != null) {
                return AltOutcome.NOTHING;
            }
            if (m.level() >= 2) {
                if (!dryRun) {
                    try (NativeFile in = m.tree().openBasis(m.node())) {
                        if (!in.stat().sameFile(m.stat())) { // replaced since it was compared
                            return AltOutcome.NOTHING;
                        }
                        tree.copyFrom(in, dst, e);
                    } catch (FsException failed) {
                        return AltOutcome.NOTHING; // copy_altdest_file failed: the file is transferred instead
                    }
                    stats.copiedFiles++;
                }
                gen.itemize(out, ndx, ItemFlags.LOCAL_CHANGE | tree.reportFlags(e, m.stat(), ItemFlags.LOCAL_CHANGE));
                if (!dryRun) {
                    role.linkGroup(ndx, dst);
                }
                return AltOutcome.DONE;
            }
            basis = true;
            return new AltOutcome(Handled.NO, m);
        } finally {
            if (!basis) {
                m.close();
            }
        }
    }

    /**
     * generator.c try_dests_non, for a directory, symlink, device or special file missing here: with an exact
     * match (level 3) in an alt dir, --link-dest hard-links it into place (a directory is made, as rsync makes
     * it; a link that cannot be made falls back to creating it, as rsync 3.4 does), --compare-dest leaves it out,
     * --copy-dest creates it; none of them is reported. A lesser match is created and reported against the alt
     * entry, not as new.
     *
     * @return the itemize flags for once it is created, or Generator.SKIP when it is not to be created here
     */
    int tryDestsNon(Entry e, DestinationTree.Node dst) throws IOException {
        if (alts == null) {
            return Generator.NEW;
        }
        int type = e.mode() & FileEntry.S_IFMT;
        try (AltMatch m = findAlt(e)) {
            if (m == null) {
                return Generator.NEW;
            }
            if (m.level() == 3) {
                if (type == FileEntry.S_IFDIR || alts.kind == AltDests.Kind.COPY) {
                    return 0;
                }
                if (alts.kind == AltDests.Kind.COMPARE || dryRun) {
                    return Generator.SKIP;
                }
                if (tree.linkFrom(m.node(), m.stat(), dst)) {
                    role.changed(e);
                    return Generator.SKIP;
                }
                return 0;
            }
            int iflags = ItemFlags.LOCAL_CHANGE | (type == FileEntry.S_IFDIR ? 0 : ItemFlags.REPORT_CHANGE);
            return iflags | tree.reportFlags(e, m.stat(), iflags);
        }
    }

    /** An alt-dest entry for a list entry: how well it matches (1 to 3), its dir's index and tree, node, lstat. */
    record AltMatch(int level, int j, DestinationTree tree, DestinationTree.Node node, Stat stat)
            implements AutoCloseable {
        @Override
        public void close() {
            node.close();
        }
    }

    /**
     * The search of try_dests_reg and try_dests_non: each alt dir in order, the same path below it. Level 1 is an
     * entry of the same kind (a regular file can be a basis), 2 also passes quick_check_ok, 3 also
     * unchanged_attrs, which ends the search; the first dir reaching the highest level wins. Everything is
     * looked up through the alt dir's descriptors without following a symlink: a symlink on the way makes the
     * entry absent, one as the entry is of another kind. What the module's rules exclude is not looked at.
     */
    AltMatch findAlt(Entry e) throws IOException {
        int type = e.mode() & FileEntry.S_IFMT;
        AltMatch best = null;
        for (int j = 0; j < alts.dirs.size(); j++) {
            AltDests.BasisDir d = alts.dirs.get(j);
            if (d.tree == null || role.refuses(d.moduleRelative(e.path()), type == FileEntry.S_IFDIR)) {
                continue;
            }
            DestinationTree.Node n;
            try {
                n = d.tree.locate(e.path(), true);
            } catch (FsException unreachable) { // a symlink or a file where a directory of the path would be
                continue;
            }
            boolean kept = false;
            try {
                Stat st = n.dir == null ? null : n.stat();
                if (st == null || kind(st.type()) != kind(type)) {
                    continue;
                }
                int level = quickCheck(e, st, d.tree, n) ? tree.attrsUnchanged(e, st) ? 3 : 2 : 1;
                if (best == null || level > best.level()) {
                    if (best != null) {
                        best.close();
                    }
                    best = new AltMatch(level, j, d.tree, n, st);
                    kept = true;
                }
                if (level == 3) {
                    break;
                }
            } finally {
                if (!kept) {
                    n.close();
                }
            }
        }
        return best;
    }

    /** generator.c get_file_type: FIFOs and sockets are one kind (FT_SPECIAL), as are the two kinds of device. */
    private static int kind(int type) {
        return switch (type) {
            case FileEntry.S_IFIFO, FileEntry.S_IFSOCK -> FileEntry.S_IFIFO;
            case FileEntry.S_IFCHR, FileEntry.S_IFBLK -> FileEntry.S_IFCHR;
            default -> type;
        };
    }

    /**
     * generator.c quick_check_ok for an alt-dest entry: a regular file by checksum with -c, else size (all with
     * --size-only), never with -I, else whole-second mtime; a symlink by its target as it would be stored here; a
     * special by its type; a device by its type (rsync looks at the numbers only) and numbers.
     */
    private boolean quickCheck(Entry e, Stat st, DestinationTree t, DestinationTree.Node n) throws IOException {
        return switch (kind(st.type())) {
            case FileEntry.S_IFREG -> {
                if (st.size() != e.size()) {
                    yield false;
                }
                if (args.checksum()) {
                    yield e.checksum() != null && MessageDigest.isEqual(e.checksum(), gen.fileChecksum(t, n));
                }
                yield args.sizeOnly() || (!args.ignoreTimes() && st.mtimeSeconds() == e.mtime());
            }
            case FileEntry.S_IFLNK -> Arrays.equals(n.dir.readlink(n.name), tree.storedTarget(e));
            case FileEntry.S_IFIFO -> st.type() == (e.mode() & FileEntry.S_IFMT);
            case FileEntry.S_IFCHR -> st.type() == (e.mode() & FileEntry.S_IFMT) && st.rdevMajor() == e.rdevMajor()
                    && st.rdevMinor() == e.rdevMinor();
            default -> true;
        };
    }

}
