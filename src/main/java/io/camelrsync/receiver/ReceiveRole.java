package io.camelrsync.receiver;

import io.camelrsync.checksum.ChecksumAlgorithm;
import io.camelrsync.filter.FilterRules;
import io.camelrsync.flist.FileListReader.Entry;
import io.camelrsync.flist.FileListReader;
import io.camelrsync.flist.ScanResult;
import io.camelrsync.protocol.ClientArgs;
import io.camelrsync.protocol.CompatFlags;
import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.MessageCode;
import io.camelrsync.protocol.MultiplexReader;
import io.camelrsync.protocol.MultiplexWriter;
import io.camelrsync.protocol.Negotiation;
import io.camelrsync.protocol.RsyncException;
import io.camelrsync.protocol.WireInput;
import io.camelrsync.protocol.WireOutput;
import io.camelrsync.sender.SumHead;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiPredicate;
import java.util.function.Consumer;

/**
 * The generator + receiver role, whichever end it runs on: our daemon taking a push (daemon/PushService), or our
 * client pulling into DEST (client/PullSession) (main.c do_recv). The caller owns the connection, the protocol
 * setup, the filter list and the destination, a {@link ReceiveTarget} whose {@link DestinationTree} makes every
 * write through directory descriptors, so nothing reaches outside it. This reads the file list, runs the
 * {@link Generator} on a thread of its own (generator.c) and the {@link FileReceiver} on the caller's
 * (receiver.c), then the goodbye; when it ends for any reason its generator stops and its temp files are removed
 * (with the target).
 */
public final class ReceiveRole {
    /** What the session negotiated and the client asked for that shapes what is received. */
    public record Settings(ClientArgs args, int protocol, CompatFlags compat, Negotiation.Result negotiated,
                           int seed, long timeoutMillis) {
    }

    /**
     * What differs between the ends.
     *
     * @param module  the name the messages and the log give the destination (a daemon's module; a pull says
     *                "pull", the name of the module of one directory it used to run as)
     * @param refuses the daemon module's own rules (rsync's DIR2WILD3, parents included): what they exclude is
     *                neither received, nor deleted, nor a basis; nothing for a pull
     * @param log     the daemon's log (each line gets the module's name); a pull logs nothing
     * @param pulling the sender is a daemon serving our pull: its statistics follow its last file, and it echoes
     *                the deletion statistics our generator sends (main.c handle_stats, io.c read_ndx_and_attrs)
     */
    public record Policy(String module, BiPredicate<String, Boolean> refuses, Consumer<String> log,
                         boolean pulling) {
    }

    /** A transfer we asked for: the sums we sent, and the file they describe (null: none) to rebuild from. */
    record Pending(SumHead head, Basis basis) {
    }

    final ClientArgs args;
    final int protocol;
    final Policy policy;
    final long timeoutMillis;
    final boolean dryRun;
    final ReceiveStats stats;
    final CompatFlags compat;
    final DestinationTree tree;
    /** --link-dest, --copy-dest or --compare-dest dirs, open; null without them. */
    final AltDests alts;
    /** generator.c fuzzy_basis: how many directories --fuzzy looks in (0: off). */
    final int fuzzyBasis;
    /** The destination was made for this push (main.c get_local_name's FLAG_DIR_CREATED on "."). */
    final boolean createdDestination;
    final MultiplexWriter mux;
    /** Set when the session ends: the generator stops at its next entry. */
    volatile boolean ended;
    final boolean safeLinks;
    ReceivedList list;
    /** Regular files' stats taken while the list arrived, for the generator. */
    EarlyStats early;
    Deletions deletions;
    final Finishers finishing;
    final Map<Integer, Pending> pending = new ConcurrentHashMap<>();
    final ChecksumAlgorithm algorithm;
    final ChecksumAlgorithm fileSumAlgorithm;
    /** The session's token decoder (plain or -z), open while {@link #run} runs. */
    TokenSource tokenSource;
    /** The checksums and compressor negotiated for the session. */
    private final Negotiation.Result negotiated;
    final int seed;
    final boolean seedFirst;
    /** The client's filter rules: what they exclude is protected from --delete here, as the sender leaves it out. */
    private final FilterRules filters;

    /**
     * @param filters the client's rules: read by a daemon from its client (exclude.c recv_filter_list, when the
     *                receiver wants them), a pull's own
     */
    public ReceiveRole(Settings settings, Policy policy, ReceiveTarget target, FilterRules filters,
                       ReceiveStats stats, MultiplexWriter mux) {
        this.args = settings.args();
        this.protocol = settings.protocol();
        this.compat = settings.compat();
        this.negotiated = settings.negotiated();
        this.seed = settings.seed();
        this.seedFirst = compat.seedFirst();
        this.timeoutMillis = settings.timeoutMillis();
        this.finishing = new Finishers(timeoutMillis);
        this.algorithm = negotiated.checksum();
        this.fileSumAlgorithm = negotiated.fileChecksum();
        this.dryRun = args.dryRun();
        this.safeLinks = args.used().contains("safe-links");
        this.policy = policy;
        this.tree = target.tree();
        this.alts = target.alts();
        this.createdDestination = target.createdDestination();
        if (alts != null) {
            fuzzyBasis = args.fuzzy() > 1 ? alts.dirs.size() + 1 : args.fuzzy() > 0 ? 1 : 0;
        } else {
            fuzzyBasis = args.fuzzy() > 0 ? 1 : 0;
        }
        this.filters = filters;
        this.stats = stats;
        this.mux = mux;
    }

    /**
     * main.c do_recv: the file list (checked entry by entry, within {@code memory}), the generator on a thread of
     * its own, the receiver on this one, the goodbye.
     */
    public ReceiveStats run(WireInput data, MultiplexReader demux, SessionMemory memory) throws IOException {
        try (TokenSource decoder = TokenSource.of(negotiated.compression(), protocol)) { // its native memory
            tokenSource = decoder;                                                        // goes with the session
            return receive(data, demux, memory);
        }
    }

    private ReceiveStats receive(WireInput data, MultiplexReader demux, SessionMemory memory) throws IOException {
        FileListReader.Options fo = new FileListReader.Options(protocol, compat.negotiated(), args.owner(),
                args.group(), args.devices(), args.specials(), args.links(), args.hardLinks(),
                compat.id0Names(), args.checksum() ? fileSumAlgorithm.digestLength() : 0);
        early = new EarlyStats(tree, memory);
        FileListReader.Received incoming = new FileListReader(fo).read(data, args.numericIds(), memory,
                early::arrived);
        tree.names(incoming.userNames(), incoming.groupNames());
        list = ReceivedList.of(incoming.entries());
        stats.files = list.size();
        deletions = new Deletions(tree, filters, policy.refuses(), mux, stats, policy.log(), dryRun);
        FilterRules clientRules = filters;
        tree.protect((path, dir) -> clientRules.isExcluded(path, dir) || refuses(path, dir));

        WireOutput out = new WireOutput(mux);
        CompletableFuture<List<Integer>> phase0 = new CompletableFuture<>();
        CompletableFuture<Void> received = new CompletableFuture<>();
        // a sender that could not read everything (generator.c:delete_in_dir): a vanished file is no reason
        boolean deleting = args.delete() && (incoming.ioError() & ScanResult.IOERR_GENERAL) == 0;
        if (args.delete() && !deleting) {
            mux.sendMessage(MessageCode.INFO, "IO error encountered -- skipping file deletion\n"
                    .getBytes(StandardCharsets.UTF_8));
        }
        Generator generating = new Generator(this);
        // a thread of its own, like rsync's generator process: it blocks on the client, so no shared pool
        CompletableFuture<Void> generator = new CompletableFuture<>();
        Thread gen = new Thread(() -> {
            try {
                generating.generate(out, mux, protocol, deleting, phase0, received);
                generator.complete(null);
            } catch (IOException e) {
                generator.completeExceptionally(new java.io.UncheckedIOException(e));
                demux.abort(e); // the receiver must not wait for data that will never be asked for
            } catch (RuntimeException | Error e) {
                generator.completeExceptionally(e);
                demux.abort(new IOException("the generator failed", e));
            }
        }, "rsyncd-generator");
        gen.setDaemon(true);
        gen.start();
        try {
            return await(data, phase0, received, generator);
        } finally {
            ended = true; // whatever ended the session: the generator stops at its next step
            gen.interrupt();
            finishing.cancel();
            try {
                gen.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private ReceiveStats await(WireInput data, CompletableFuture<List<Integer>> phase0,
                               CompletableFuture<Void> received, CompletableFuture<Void> generator)
            throws IOException {
        try {
            try {
                new FileReceiver(this).receive(data, protocol, phase0);
            } catch (IOException e) {
                if (generator.isCompletedExceptionally()) {
                    generator.get(); // the generator's failure is the cause; report that one
                }
                throw e;
            }
            received.complete(null);
            generator.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof java.io.UncheckedIOException u ? u.getCause()
                    : new IOException("generator failed", e.getCause());
        } catch (TimeoutException e) {
            throw new RsyncException(ExitCode.TIMEOUT, "the generator did not finish in time");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException();
        } finally {
            received.complete(null);
            phase0.complete(List.of());
        }
        return stats;
    }

    /** Whether the daemon module's rules exclude the path or one of its parent directories. */
    boolean refuses(String path, boolean isDir) {
        return policy.refuses().test(path, isDir);
    }

    /** A line for the daemon's log, naming the module. */
    void log(String text) {
        policy.log().accept(text + " (module " + policy.module() + ")");
    }

    /** Records the entry as changed here (a relay forwards it), unless this is a dry run. */
    void changed(int ndx) {
        changed(list.sorted[ndx]);
    }

    void changed(Entry e) {
        if (!dryRun) {
            stats.changes.updated(e.path(), e.isDirectory());
        }
    }

    /** An error about one file: the client shows it and ends with exit code 23, the session goes on. */
    void xferError(String text) throws IOException {
        stats.errors++;
        log(text);
        mux.sendMessage(MessageCode.ERROR_XFER, (text + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Makes the other members of a hard-link group links to the member in place, {@code leader}: its first, or
     * the first one not compared away (--compare-dest). Those compared away before it are linked too, as rsync's
     * finish_hard_link links every member still waiting in the group's chain.
     */
    void linkGroup(int leader, DestinationTree.Node leaderNode) throws IOException {
        if (!args.hardLinks()) {
            return;
        }
        int first = list.groupOf(leader);
        if (first != leader && tree.hardLink(list.sorted[first].path(), leaderNode)) {
            changed(first);
        }
        for (int member : list.membersOf(first)) {
            if (member != leader && tree.hardLink(list.sorted[member].path(), leaderNode)) {
                changed(member);
            }
        }
    }
}
