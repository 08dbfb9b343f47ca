package io.camelrsync.receiver;

import io.camelrsync.checksum.ChecksumAlgorithm;
import io.camelrsync.flist.FileEntry;
import io.camelrsync.flist.FileListReader.Entry;
import io.camelrsync.fs.FsException;
import io.camelrsync.fs.NativeFile;
import io.camelrsync.fs.Stat;
import io.camelrsync.protocol.ClientArgs;
import io.camelrsync.protocol.ItemFlags;
import io.camelrsync.protocol.MessageCode;
import io.camelrsync.protocol.MultiplexWriter;
import io.camelrsync.protocol.Ndx;
import io.camelrsync.protocol.RsyncException;
import io.camelrsync.protocol.WireOutput;
import io.camelrsync.sender.SumHead;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The generator of the receiving role (generator.c), on a thread of its own as rsync's generator is a process of
 * its own: it walks the file list, makes directories, symlinks and specials, deletes what the sender no longer
 * has, and asks for each regular file that changed with block sums of its basis (the old copy, an alt dir's file
 * found by {@link TryDests}, or a --fuzzy match from {@link FuzzyLists}); then the redo phase, the deletion
 * statistics and the directory times once the receiver is done.
 */
final class Generator {
    private final ReceiveRole role;
    private final ClientArgs args;
    private final boolean dryRun;
    private final DestinationTree tree;
    /** --link-dest, --copy-dest or --compare-dest dirs, open; null without them. */
    private final AltDests alts;
    private final ReceivedList list;
    private final ReceiveStats stats;
    private final ChecksumAlgorithm algorithm;
    private final ChecksumAlgorithm fileSumAlgorithm;
    private final int seed;
    private final boolean seedFirst;
    private final boolean safeLinks;
    /** The destination was made for this push (main.c get_local_name's FLAG_DIR_CREATED on "."). */
    private final boolean createdDestination;
    private final Deletions deletions;
    /** The transfers asked for, by index: what the receiver checks each file the sender sends against. */
    private final Map<Integer, ReceiveRole.Pending> pending;
    /** generator.c try_dests_reg and try_dests_non: the alt dirs' files that can stand for one of the list. */
    private final TryDests dests;
    private final FuzzyLists fuzzy;

    Generator(ReceiveRole role) {
        this.role = role;
        this.args = role.args;
        this.dryRun = role.dryRun;
        this.tree = role.tree;
        this.alts = role.alts;
        this.list = role.list;
        this.stats = role.stats;
        this.algorithm = role.algorithm;
        this.fileSumAlgorithm = role.fileSumAlgorithm;
        this.seed = role.seed;
        this.seedFirst = role.seedFirst;
        this.safeLinks = role.safeLinks;
        this.createdDestination = role.createdDestination;
        this.deletions = role.deletions;
        this.pending = role.pending;
        this.dests = new TryDests(role, this);
        this.fuzzy = new FuzzyLists(role);
    }

    /**
     * generator.c generate_files: every entry of the list (recv_generator), the end of phase 0, the redo phase
     * (files that failed verification), the deletion statistics, then the directory times once the receiver is
     * done (touch_up_dirs), each phase ended by NDX_DONE.
     */
    void generate(WireOutput out, MultiplexWriter mux, int protocol, boolean deleting,
                  CompletableFuture<List<Integer>> phase0, CompletableFuture<Void> received)
            throws IOException {
        Map<String, Set<String>> children = new HashMap<>();
        for (Entry e : list.sorted) {
            int slash = e.path().lastIndexOf('/');
            String parent = slash < 0 ? (e.path().equals(".") ? null : ".") : e.path().substring(0, slash);
            if (parent != null) {
                children.computeIfAbsent(parent, k -> new HashSet<>()).add(e.path().substring(slash + 1));
            }
        }
        List<Integer> dirsToTouch = new ArrayList<>();
        Set<Integer> leaderless = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            if (role.ended) {
                throw new java.io.InterruptedIOException("the session has ended");
            }
            Entry e = list.sorted[i];
            int type = e.mode() & FileEntry.S_IFMT;
            if (role.refuses(e.path(), type == FileEntry.S_IFDIR)) {
                if (!role.refuses(parentOf(e.path()), true)) { // once per refused tree, as rsync skips the rest
                    role.xferError("ERROR: daemon refused to receive " + (type == FileEntry.S_IFDIR ? "directory"
                            : "file") + " \"" + e.path() + "\"" + (type == FileEntry.S_IFDIR
                            ? "\n*** Skipping any contents from this failed directory ***" : ""));
                }
                continue;
            }
            if (type == FileEntry.S_IFLNK && safeLinks && UnsafeSymlink.isUnsafe(
                    new String(e.linkTarget(), StandardCharsets.UTF_8), e.path())) {
                String text = "ignoring unsafe symlink \"" + e.path() + "\" -> \""
                        + new String(e.linkTarget(), StandardCharsets.UTF_8) + "\"";
                role.log(text);
                mux.sendMessage(MessageCode.INFO, (text + "\n").getBytes(StandardCharsets.UTF_8));
                continue;
            }
            fuzzy.enter(parentOf(e.path()));
            // a later member of a hard-link group is linked to the member in place, unless none is (--compare-dest)
            boolean leads = !list.isLaterLink(i) || leaderless.remove(list.groupOf(i));
            try (DestinationTree.Node dst = tree.locate(e.path(), dryRun)) {
                if (dryRun) {
                    if (type == FileEntry.S_IFREG) {
                        if (leads && !requestIfChanged(out, i, e, dst)) {
                            leaderless.add(list.groupOf(i));
                        }
                    } else {
                        Stat was = dst.stat();
                        if (was == null) {
                            int iflags = dests.tryDestsNon(e, dst);
                            if (iflags != SKIP) {
                                itemize(out, i, iflags);
                            }
                        } else if (type == FileEntry.S_IFDIR && was.isDirectory()) {
                            itemize(out, i, tree.reportFlags(e, was, 0));
                            if (deleting && e.isContentDir()) {
                                deletions.extraneous(dst, children.getOrDefault(e.path(), Set.of()));
                            }
                        }
                    }
                    continue;
                }
                if (type == FileEntry.S_IFDIR) {
                    Stat was = dst.stat();
                    if (tree.makeDirectory(dst) || (i == 0 && createdDestination)) { // FLAG_DIR_CREATED
                        role.changed(i);
                        itemize(out, i, dests.tryDestsNon(e, dst)); // an alt dir changes only what is reported
                    } else if (was != null) { // generator.c itemize: what is about to change (time, mode, ids)
                        itemize(out, i, tree.reportFlags(e, was, 0));
                    }
                    dirsToTouch.add(i);
                    if (deleting && e.isContentDir()) {
                        deletions.extraneous(dst, children.getOrDefault(e.path(), Set.of()));
                    }
                } else if (type == FileEntry.S_IFLNK) {
                    if (args.links()) {
                        int iflags = alts == null || dst.stat() != null ? NEW : dests.tryDestsNon(e, dst);
                        if (iflags != SKIP && tree.makeSymlink(dst, e)) {
                            itemize(out, i, iflags);
                        }
                    }
                } else if (type == FileEntry.S_IFREG) {
                    if (leads && !requestIfChanged(out, i, e, dst)) {
                        leaderless.add(list.groupOf(i));
                    }
                } else if (type == FileEntry.S_IFCHR || type == FileEntry.S_IFBLK
                        ? !args.devices() || !tree.canMakeDevices() : !args.specials()) {
                    // generator.c recv_generator: only root makes devices, and only what -D (--devices,
                    // --specials) asked for; rsync skips the rest, saying so only with -v
                } else {
                    int iflags = alts == null || dst.stat() != null ? NEW : dests.tryDestsNon(e, dst);
                    if (iflags != SKIP && tree.makeSpecial(dst, e)) {
                        itemize(out, i, iflags);
                    }
                }
            } catch (RsyncException fatal) {
                throw fatal;
            } catch (java.io.InterruptedIOException stop) {
                throw stop;
            } catch (IOException failed) {
                // one path's failure (a component replaced by a symlink meanwhile, a full disk) is that path's
                role.xferError("rsync: [generator] failed to create \"" + e.path() + "\" in module "
                        + role.policy.module() + ": " + failed.getMessage());
            }
        }
        out.writeNdx(Ndx.DONE);
        out.flush();
        List<Integer> redo = phase0.join();
        for (int ndx : redo) {
            Entry e = list.sorted[ndx];
            try (DestinationTree.Node dst = tree.locate(e.path(), false)) {
                redo(out, ndx, e, dst);
            } catch (FsException unreachable) { // its directory went away meanwhile: this file's error
                role.xferError("rsync: [generator] cannot redo \"" + e.path() + "\": " + unreachable.getMessage());
            }
        }
        out.writeNdx(Ndx.DONE);
        out.writeNdx(Ndx.DONE);
        if (protocol >= 31) {
            if (args.delete()) {
                out.writeNdx(Ndx.DEL_STATS);
                out.writeVarint(stats.deletedFiles);
                out.writeVarint(stats.deletedDirs);
                out.writeVarint(stats.deletedSymlinks);
                out.writeVarint(0);
                out.writeVarint(stats.deletedOther);
            }
            out.writeNdx(Ndx.DONE);
        }
        out.flush();
        received.join();
        for (int k = dirsToTouch.size() - 1; k >= 0; k--) {
            Entry e = list.sorted[dirsToTouch.get(k)];
            try (DestinationTree.Node dst = tree.locate(e.path(), false)) {
                tree.applyAttributes(dst, e);
            } catch (FsException failed) {
                role.xferError("rsync: [generator] failed to set times on \"" + e.path() + "\": "
                        + failed.getMessage());
            }
        }
        out.writeNdx(Ndx.DONE);
        out.flush();
    }

    /**
     * Phase 1 (generator.c with phase set): a file that failed verification is asked for again, whole-length sums
     * of the same kind of basis: its old copy, else the alt-dest file that could stand for it. (A fuzzy basis is
     * not looked for again: the retry is rare and its directory's list is gone.)
     */
    private void redo(WireOutput out, int ndx, Entry e, DestinationTree.Node dst) throws IOException {
        Stat a = dst.stat();
        if (a != null && a.isRegular()) {
            request(out, ndx, ItemFlags.TRANSFER, BasisSums.head(a.size(), true, algorithm.digestLength()),
                    new Basis(Basis.FNAME, tree, e.path(), null), dst);
            return;
        }
        TryDests.AltMatch m = a == null && alts != null ? dests.findAlt(e) : null;
        if (m == null) {
            request(out, ndx, ItemFlags.TRANSFER, BasisSums.head(0, true, algorithm.digestLength()), null, null);
            return;
        }
        try (m) {
            request(out, ndx, ItemFlags.TRANSFER, BasisSums.head(m.stat().size(), true, algorithm.digestLength()),
                    new Basis(m.j(), m.tree(), e.path(), null), m.node());
        }
    }

    /** What rsync's client shows (SIGNIFICANT_ITEM_FLAGS: anything but the basis, the xname and a local change). */
    static final int SIGNIFICANT = 0xffff
            & ~(ItemFlags.BASIS_TYPE_FOLLOWS | ItemFlags.XNAME_FOLLOWS | ItemFlags.LOCAL_CHANGE);
    /** How an entry created here without a basis is itemized. */
    static final int NEW = ItemFlags.LOCAL_CHANGE | ItemFlags.IS_NEW;
    /** tryDestsNon: the entry is not created here (it was linked, or compared away). */
    static final int SKIP = -1;

    /**
     * generator.c itemize: sent when the client would show it (-vv and -ii extras are not sent); what it shows
     * is a change, recorded for a relay.
     */
    void itemize(WireOutput out, int ndx, int iflags) throws IOException {
        if ((iflags & SIGNIFICANT) != 0) {
            role.changed(ndx);
            out.writeNdx(ndx);
            out.writeShortInt(iflags);
        }
    }


    /**
     * generator.c recv_generator for a regular file: the options that skip it (-u, --existing, --ignore-existing),
     * what is in the way removed, the alt-dest dirs (try_dests_reg), the quick check (size and time, -c, -I,
     * --size-only), a fuzzy basis, then the request with block sums of the basis.
     *
     * @return false when the file was compared away (--compare-dest): nothing stands at its name, so the next
     *         member of its hard-link group leads instead
     */
    private boolean requestIfChanged(WireOutput out, int ndx, Entry e, DestinationTree.Node dst) throws IOException {
        Stat a = role.early.take(e.path(), dst);
        if (a == null ? args.existing() : args.ignoreExisting()) {
            return true;
        }
        boolean regular = a != null && a.isRegular();
        if (regular && args.update() && a.mtimeSeconds() > e.mtime()) {
            return true; // -u: the receiver's copy is newer
        }
        if (a != null && !regular) { // delete_item(DEL_FOR_FILE): a dry run reports it as new, as rsync does
            if (!dryRun) {
                tree.deleteTree(dst, a);
            }
            a = null;
        }
        TryDests.AltMatch alt = null;
        if (alts != null && (a == null || alts.kind != AltDests.Kind.COPY)) {
            TryDests.AltOutcome o = dests.tryDestsReg(out, ndx, e, dst, a);
            if (o.handled() != TryDests.Handled.NO) {
                return o.handled() != TryDests.Handled.COMPARED_AWAY;
            }
            alt = o.basis();
        }
        try (TryDests.AltMatch basisAlt = alt) {
            if (regular && !args.ignoreTimes() && a.size() == e.size() && unchanged(tree, dst, e, a.mtimeSeconds())) {
                if ((tree.reportFlags(e, a, 0) & SIGNIFICANT) != 0) {
                    role.changed(ndx); // its mode, owner or time is set below
                }
                if (!dryRun) {
                    tree.applyAttributes(dst, e, a);
                    role.linkGroup(ndx, dst);
                }
                return true;
            }
            Basis basis = null;
            DestinationTree.Node basisNode = null;
            long basisSize = 0;
            if (regular) {
                basis = new Basis(Basis.FNAME, tree, e.path(), null);
                basisNode = dst;
                basisSize = a.size();
            } else if (basisAlt != null) {
                basis = new Basis(basisAlt.j(), basisAlt.tree(), e.path(), null);
                basisNode = basisAlt.node();
                basisSize = basisAlt.stat().size();
            }
            try (FuzzyLists.FuzzyFile f = basis == null && dst.dir != null ? fuzzy.find(e) : null) {
                if (f != null) {
                    basis = f.basis();
                    basisNode = f.node();
                    basisSize = f.stat().size();
                }
                fuzzy.sending(e); // find_fuzzy never offers a file that is being replaced
                // itemized against what stat'ed as this file: the old copy, else an alt file (real_ret is taken
                // after try_dests_reg, before find_fuzzy), else nothing
                Stat real = a != null ? a : basisAlt != null ? basisAlt.stat() : null;
                int iflags = ItemFlags.TRANSFER | (real == null ? ItemFlags.IS_NEW
                        : tree.reportFlags(e, real, ItemFlags.TRANSFER));
                if (args.checksum()) {
                    iflags |= ItemFlags.REPORT_CHANGE;
                }
                if (dryRun) {
                    // rsync's !do_xfers: the index and flags only
                    pending.put(ndx, new ReceiveRole.Pending(null, basis));
                    writeItem(out, ndx, iflags, basis);
                    return true;
                }
                SumHead head = basis == null ? new SumHead(0, 0, 0, 0)
                        : BasisSums.head(basisSize, false, algorithm.digestLength());
                request(out, ndx, iflags, head, basis, basisNode);
                return true;
            }
        }
    }


    private boolean unchanged(DestinationTree t, DestinationTree.Node n, Entry e, long mtime) throws IOException {
        if (args.checksum()) {
            return e.checksum() != null && MessageDigest.isEqual(e.checksum(), fileChecksum(t, n));
        }
        return args.sizeOnly() || mtime == e.mtime();
    }

    /** checksum.c file_checksum: the whole file through the file-list checksum, unseeded. */
    byte[] fileChecksum(DestinationTree t, DestinationTree.Node n) throws IOException {
        ChecksumAlgorithm.FileDigest d = fileSumAlgorithm.fileDigest();
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(256 * 1024);
        try (NativeFile in = t.openBasis(n)) {
            while (in.read(buf.clear()) > 0) {
                d.update(buf.array(), 0, buf.position());
            }
        }
        return d.digest();
    }

    /** The index and itemize flags of a transfer, with the basis type and fuzzy name when the basis says so. */
    private static void writeItem(WireOutput out, int ndx, int iflags, Basis basis) throws IOException {
        int flags = iflags | (basis == null ? 0 : basis.flags());
        out.writeNdx(ndx);
        out.writeShortInt(flags);
        if ((flags & ItemFlags.BASIS_TYPE_FOLLOWS) != 0) {
            out.writeByte(basis.type());
        }
        if ((flags & ItemFlags.XNAME_FOLLOWS) != 0) {
            out.writeVstring(basis.xname());
        }
    }

    /** Asks for the file with block sums of {@code basis} (at {@code node}), or of nothing when it is null. */
    private void request(WireOutput out, int ndx, int iflags, SumHead head, Basis basis, DestinationTree.Node node)
            throws IOException {
        role.changed(ndx);
        if (basis == null) {
            pending.put(ndx, new ReceiveRole.Pending(head, null));
            writeItem(out, ndx, iflags, null);
            head.write(out);
            return;
        }
        try (NativeFile ch = basis.tree().openBasis(node)) { // before the index goes out: a failure is this file's
            pending.put(ndx, new ReceiveRole.Pending(head, basis));
            writeItem(out, ndx, iflags, basis);
            BasisSums.write(out, head, ch, () -> algorithm.blockSummer(seed, seedFirst));
        }
    }

    private static String parentOf(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "." : path.substring(0, slash);
    }
}
