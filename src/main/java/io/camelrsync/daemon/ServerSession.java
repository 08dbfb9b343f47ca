package io.camelrsync.daemon;

import io.camelrsync.daemonconf.ModuleConf;
import io.camelrsync.protocol.BandwidthLimit;
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
import io.camelrsync.receiver.ReceiveRole;
import io.camelrsync.receiver.ReceiveStats;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.function.Consumer;

/**
 * One session of our daemon once the handshake chose the module and read the arguments (main.c start_server):
 * the protocol setup (compat flags, declining incremental recursion; checksum and compression negotiation; the
 * seed; multiplexing), the refusals every session gets, then the role the client asked for: a pull is served by
 * {@link SendSession} (do_server_sender), a push taken by {@link PushService} (do_server_recv).
 */
public final class ServerSession {
    /** Sends the client an error and rsync's exit code, and logs it. */
    interface Refusal {
        void refuse(String text, int exitCode) throws IOException;
    }

    private final ModuleRequest request;
    private final ClientArgs args;
    private final Path moduleRoot;
    private final Consumer<String> log;
    private final long timeoutMillis;
    private final ReceiveStats stats = new ReceiveStats();

    public ServerSession(ModuleRequest request, ClientArgs args, Path moduleRoot, Consumer<String> log,
                         long timeoutMillis) {
        this.request = request;
        this.args = args;
        this.moduleRoot = moduleRoot;
        this.log = log;
        this.timeoutMillis = timeoutMillis;
    }

    /** What the session did so far: all of it once run returned, the part before the failure when it threw. */
    public ReceiveStats stats() {
        return stats;
    }

    public ReceiveStats run(InputStream in, OutputStream socketOut) throws IOException {
        int protocol = request.protocol();
        // the client's --bwlimit paces what this side writes (what a pull sends), as rsync's server does
        OutputStream rawOut = new BufferedOutputStream(args.bwlimit() > 0 ? new BandwidthLimit(socketOut,
                args.bwlimit()) : socketOut, 64 * 1024);
        WireOutput plain = new WireOutput(rawOut);
        CompatFlags compat = CompatFlags.forCapabilities(args.capabilities());
        plain.writeVarint(compat.bits()); // never incremental recursion: we take the whole list first
        String refusal = args.refusal();
        Negotiation.Result negotiated = Negotiation.server(in, plain, compat, new Negotiation.Asked(
                args.checksumChoice(), args.compress(), args.compressChoice(), args.compressLevel()));
        refusal = refusal != null ? refusal : negotiated.refusal();
        int seed = new SecureRandom().nextInt() & 0x7fffffff;
        plain.writeInt(seed);
        plain.flush();

        MultiplexWriter mux = new MultiplexWriter(rawOut);
        MultiplexReader demux = new MultiplexReader(in, (code, text) -> log.accept("client: " + text.strip()),
                timeoutMillis);
        demux.start("rsyncd-demux");
        WireInput data = new WireInput(demux.data());

        try {
            return transfer(mux, data, demux, protocol, compat, negotiated, seed, refusal);
        } catch (RsyncException e) {
            tellClient(mux, protocol, e); // a client that only saw the connection close could not say why
            throw e;
        } finally {
            demux.abort(new IOException("the session has ended"));
        }
    }

    private ReceiveStats transfer(MultiplexWriter mux, WireInput data, MultiplexReader demux, int protocol,
                                  CompatFlags compat, Negotiation.Result negotiated, int seed, String refusal)
            throws IOException {
        ModuleConf module = request.module();
        if (refusal == null) {
            refusal = RefusedOptions.check(module.refuseOptions(), args.used());
        }
        if (refusal != null) {
            refuse(mux, protocol, refusal, ExitCode.UNSUPPORTED);
            return stats;
        }
        if (args.sender()) { // a pull: this daemon is the sender
            ModuleRules rules;
            try {
                rules = ModuleRules.of(module);
            } catch (IOException | IllegalArgumentException e) {
                refuse(mux, protocol, "ERROR: module " + module.name() + " is misconfigured: " + e.getMessage(),
                        ExitCode.FILE_SELECT);
                return stats;
            }
            new SendSession(request, args, moduleRoot, log, rules::refuses,
                    (text, code) -> refuse(mux, protocol, text, code), stats)
                    .serve(mux, data, demux::bytesRead, protocol, compat.negotiated(),
                            compat.id0Names(), compat.safeFlist(protocol),
                            negotiated.checksum(), seed, compat.seedFirst(), negotiated);
            return stats;
        }
        if (request.readOnly()) {
            refuse(mux, protocol, "ERROR: module is read only", ExitCode.SYNTAX);
            return stats;
        }
        return new PushService(request, args, moduleRoot, log, (text, code) -> refuse(mux, protocol, text, code),
                text -> warn(mux, text), stats)
                .receive(mux, data, demux, new ReceiveRole.Settings(args, protocol, compat, negotiated, seed,
                        timeoutMillis));
    }

    private void tellClient(MultiplexWriter mux, int protocol, RsyncException e) {
        try {
            mux.sendMessage(MessageCode.ERROR, ("rsync: [" + (args.sender() ? "sender" : "receiver") + "] "
                    + e.getMessage() + "\n")
                    .getBytes(StandardCharsets.UTF_8));
            if (protocol >= 31) {
                mux.sendInt(MessageCode.ERROR_EXIT, e.exitCode());
            }
            mux.flush();
        } catch (IOException | RuntimeException gone) {
            // the client is gone; the log has the reason
        }
    }

    /** A warning the client shows (rsync's FWARNING), logged too. */
    private void warn(MultiplexWriter mux, String text) {
        log.accept(text + " (module " + request.module().name() + ")");
        try {
            mux.sendMessage(MessageCode.WARNING, (text + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException gone) {
            // the client is gone: the session ends at its next read
        }
    }

    private void refuse(MultiplexWriter mux, int protocol, String text, int code) throws IOException {
        log.accept(text + " (module " + request.module().name() + ")");
        mux.sendMessage(MessageCode.ERROR, (text + "\n").getBytes(StandardCharsets.UTF_8));
        if (protocol >= 31) {
            mux.sendInt(MessageCode.ERROR_EXIT, code);
        }
        mux.flush();
    }
}
