package io.camelrsync.receiver;

import io.camelrsync.checksum.ChecksumAlgorithm;
import io.camelrsync.flist.FileListReader.Entry;
import io.camelrsync.fs.NativeFile;
import io.camelrsync.protocol.ItemFlags;
import io.camelrsync.protocol.Limits;
import io.camelrsync.protocol.Ndx;
import io.camelrsync.protocol.RsyncException;
import io.camelrsync.protocol.WireInput;
import io.camelrsync.sender.SumHead;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The receiver of the receiving role (receiver.c recv_files): each file the sender sends, checked against what
 * the generator asked for, rebuilt from its tokens and the basis the generator chose into a temp file beside its
 * place, verified, then renamed into place (by the {@link Finishers} when small); a file that fails verification
 * goes back to the generator for the redo phase.
 */
final class FileReceiver {
    private final ReceiveRole role;
    private final boolean dryRun;
    private final DestinationTree tree;
    private final ReceivedList list;
    private final ReceiveStats stats;
    private final ChecksumAlgorithm algorithm;
    /** The transfers the generator asked for, by index. */
    private final Map<Integer, ReceiveRole.Pending> pending;

    FileReceiver(ReceiveRole role) {
        this.role = role;
        this.dryRun = role.dryRun;
        this.tree = role.tree;
        this.list = role.list;
        this.stats = role.stats;
        this.algorithm = role.algorithm;
        this.pending = role.pending;
    }

    /**
     * receiver.c recv_files: indexes, itemize flags, the echoed sum head and the tokens of each file, until the
     * sender's NDX_DONE of each phase; then (a server sender's statistics and) the goodbye's NDX_DONE.
     */
    void receive(WireInput in, int protocol, CompletableFuture<List<Integer>> phase0) throws IOException {
        TokenReceiver receiver = new TokenReceiver(algorithm);
        List<Integer> redo = new ArrayList<>();
        int phase = 0;
        while (true) {
            int ndx = readNdxSkippingDelStats(in);
            if (ndx == Ndx.DONE) {
                phase++;
                if (phase == 1) {
                    phase0.complete(List.copyOf(redo));
                }
                if (phase > 2) {
                    break;
                }
                continue;
            }
            if (ndx < 0 || ndx >= list.size()) {
                throw RsyncException.protocol("Invalid file index: " + ndx + " [receiver]");
            }
            int iflags = in.readShortInt();
            // sender.c echoes the basis type and fuzzy name the generator sent (write_ndx_and_attrs)
            int basisType = (iflags & ItemFlags.BASIS_TYPE_FOLLOWS) != 0 ? in.readByte() : Basis.FNAME;
            String xname = (iflags & ItemFlags.XNAME_FOLLOWS) != 0 ? in.readVstring(Limits.MAX_PATH) : null;
            if ((iflags & ItemFlags.TRANSFER) == 0) {
                continue;
            }
            ReceiveRole.Pending p = pending.remove(ndx);
            if (p == null) {
                throw RsyncException.protocol("the sender sent file " + ndx + ", which we never requested");
            }
            // the basis is the one we chose and summed, never one the client names (receiver.c trusts it)
            Basis asked = p.basis();
            if (basisType != (asked == null ? Basis.FNAME : asked.type())
                    || !java.util.Objects.equals(xname, asked == null ? null : asked.xname())) {
                throw RsyncException.protocol("the sender sent a basis type or name we never asked for (file "
                        + ndx + ")");
            }
            if (dryRun) {
                continue; // a dry run echoes the index and flags only
            }
            SumHead echoed = SumHead.read(in, algorithm.digestLength());
            if (!echoed.equals(p.head())) {
                throw RsyncException.protocol("the sender changed the block sums of file " + ndx);
            }
            receiveFile(in, receiver, ndx, p, phase, redo);
        }
        role.finishing.awaitAll();
        if (role.policy.pulling()) { // main.c handle_stats: a server sender's totals follow its last file
            for (int i = 0; i < 5; i++) {
                in.readVarlong(3);
            }
        }
        if (protocol >= 31 && readNdxSkippingDelStats(in) != Ndx.DONE) {
            throw RsyncException.protocol("Invalid packet at end of run [receiver]");
        }
    }

    /**
     * The next index from the sender. A daemon sending to our pull echoes the deletion statistics our generator
     * sent it (io.c read_ndx_and_attrs: a server sender writes them back): read and passed over.
     */
    private int readNdxSkippingDelStats(WireInput in) throws IOException {
        int ndx = in.readNdx();
        while (role.policy.pulling() && ndx == Ndx.DEL_STATS) {
            for (int i = 0; i < 5; i++) {
                in.readVarint();
            }
            ndx = in.readNdx();
        }
        return ndx;
    }

    /**
     * One file's tokens into a sink, then its attributes and the rename (on the finishers when it is small).
     * When its place cannot be reached any more (a directory replaced by a symlink meanwhile) or the basis is
     * gone, the data is still read off the wire, into nowhere, and the file is reported as failed.
     */
    private void receiveFile(WireInput in, TokenReceiver receiver, int ndx, ReceiveRole.Pending p, int phase,
                             List<Integer> redo)
            throws IOException {
        Entry e = list.sorted[ndx];
        DestinationTree.Node dst;
        NativeFile basis = null;
        try {
            dst = tree.locate(e.path(), false);
            if (p.basis() != null) {
                try {
                    basis = p.basis().type() == Basis.FNAME ? tree.openBasis(dst) : p.basis().open();
                } catch (IOException | RuntimeException ex) {
                    dst.close();
                    throw ex;
                }
            }
        } catch (RsyncException | java.io.InterruptedIOException fatal) {
            throw fatal;
        } catch (IOException unreachable) {
            receiver.receive(in, role.tokenSource, p.head(), null, java.io.OutputStream.nullOutputStream());
            role.xferError("rsync: [receiver] failed to write \"" + e.path() + "\" in module "
                    + role.policy.module() + ": " + unreachable.getMessage());
            return;
        }
        FileSink sink = new FileSink(tree, dst, e.size(), role.timeoutMillis);
        TokenReceiver.Result r;
        try (NativeFile b = basis) {
            r = receiver.receive(in, role.tokenSource, p.head(), b, sink);
        } catch (IOException | RuntimeException ex) {
            sink.discard();
            dst.close();
            throw ex;
        }
        if (!r.verified()) {
            sink.discard();
            dst.close();
            if (phase == 0) {
                redo.add(ndx);
            } else {
                // receiver.c: a second failure is the file's error, and the client exits with 23
                role.xferError("ERROR: " + e.path() + " failed verification -- update discarded.");
            }
            return;
        }
        stats.transferredFiles++;
        stats.literalBytes += r.literal();
        stats.matchedBytes += r.matched();
        role.finishing.finish(sink, () -> {
            try (dst) {
                tree.commit(sink.finish(), dst, e);
                role.linkGroup(ndx, dst);
            }
        });
    }

}
