package io.camelrsync.daemon;

import io.camelrsync.daemonconf.HostAccess;
import io.camelrsync.daemonconf.ModuleConf;
import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.protocol.ClientArgs;
import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.RsyncException;
import io.camelrsync.receiver.ReceiveStats;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import jdk.net.ExtendedSocketOptions;

/**
 * The rsync daemon's listener on Netty: each connection gets a session thread running the handshake and the
 * receiving side over {@link ChannelStreams}. The transport enforces what rsync's daemon enforces around a
 * session: the handshake deadline, the io timeout, "max connections" (with the lock file), and, when a key is
 * configured, TLS as rsync-ssl speaks it.
 */
public final class DaemonServer implements AutoCloseable {
    /**
     * What one finished session did, for the log and for a Camel consumer. {@code failure} is a
     * {@link DaemonRefusal} when the handshake refused the client (already logged and told).
     */
    public record Session(String module, String user, InetAddress peer, ReceiveStats stats, Throwable failure) {
        public boolean refused() {
            return failure instanceof DaemonRefusal;
        }
    }

    /** rsync's DAEMON_HANDSHAKE_TIMEOUT: "timeout" may shorten a handshake phase, never lengthen it past this. */
    private static final int HANDSHAKE_TIMEOUT_SECONDS = 60;
    /** "timeout = 0" means none; the session's own waits need a number, and a century is none to them. */
    private static final long NO_TIMEOUT_MILLIS = TimeUnit.DAYS.toMillis(36_500);

    /** The config each new connection gets (a file read again when it changed, see RsyncdConfFile). */
    private final Supplier<RsyncdConf> confs;
    private final Consumer<String> log;
    private final Consumer<Session> onSession;
    private final HostAccess access = new HostAccess(HostAccess.Resolver.system());
    private final ConnectionSlots slots = new ConnectionSlots();
    private final ExecutorService sessions = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "rsyncd-session");
        t.setDaemon(true);
        return t;
    });
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private Channel server;

    public DaemonServer(RsyncdConf conf, Consumer<String> log, Consumer<Session> onSession) {
        this(() -> conf, log, onSession);
    }

    public DaemonServer(Supplier<RsyncdConf> confs, Consumer<String> log, Consumer<Session> onSession) {
        this.confs = confs;
        this.log = log;
        this.onSession = onSession;
    }

    public void start(String address, int port) throws InterruptedException {
        start(address, port, null);
    }

    /** Listens on address:port; with {@code tls} every connection must be TLS (plaintext clients are refused). */
    public void start(String address, int port, DaemonTls tls) throws InterruptedException {
        boss = new NioEventLoopGroup(1);
        workers = new NioEventLoopGroup();
        server = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 128)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // as rsync sets it on every daemon connection: a vanished peer ends even a session without timeout
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast("tls-detect", tls.newDetector(log));
                        }
                        ch.pipeline().addLast("session", new Bridge(tls != null));
                    }
                })
                .bind(new InetSocketAddress(address, port)).sync().channel();
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
        if (server != null) {
            server.close().syncUninterruptibly();
        }
        if (boss != null) {
            boss.shutdownGracefully();
            workers.shutdownGracefully();
        }
        sessions.shutdownNow();
    }

    /** A handshake phase's limit (clientserver.c daemon_handshake_timeout): "timeout" if set and shorter. */
    static int handshakeSeconds(int timeout) {
        return timeout <= 0 || timeout > HANDSHAKE_TIMEOUT_SECONDS ? HANDSHAKE_TIMEOUT_SECONDS : timeout;
    }

    /** The session's io timeout (clientserver.c): the client's --timeout, unless the module's is set and shorter. */
    static int ioTimeoutSeconds(int module, int client) {
        return module > 0 && (client == 0 || module < client) ? module : client;
    }

    private static int globalTimeout(RsyncdConf conf) {
        return conf.global("timeout").map(p -> {
            try {
                return Integer.parseInt(p.value().trim());
            } catch (NumberFormatException e) {
                return 0; // reported as a warning when the file was read
            }
        }).orElse(0);
    }

    private static final ChannelOption<Boolean> QUICK_ACK = NioChannelOption.of(ExtendedSocketOptions.TCP_QUICKACK);

    /** One connection: bytes in and out on the event loop, the session on its own thread. */
    private final class Bridge extends ChannelInboundHandlerAdapter {
        private final boolean tls;
        /** False where the system has no TCP_QUICKACK (not Linux): sessions are only slower. */
        private boolean quickAcks = true;
        /** The config as this connection found it: a later edit applies to later connections. */
        private final RsyncdConf conf = confs.get();
        private ChannelStreams streams;
        private HandshakeDeadline deadline;
        private boolean started;

        Bridge(boolean tls) {
            this.tls = tls;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel ch = ctx.channel();
            streams = new ChannelStreams(ch);
            deadline = new HandshakeDeadline(ch, streams);
            deadline.restart(handshakeSeconds(globalTimeout(conf))); // from the connection on, TLS handshake included
            if (!tls) {
                startSession(ch);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent done) {
                if (done.isSuccess()) {
                    startSession(ctx.channel()); // only now: the greeting must not leave before the tunnel is up
                } else {
                    log.accept("TLS handshake with " + ctx.channel().remoteAddress() + " failed: "
                            + done.cause().getMessage());
                }
            }
        }

        private void startSession(Channel ch) {
            started = true;
            sessions.execute(() -> serve(ch, streams, deadline, conf));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                streams.received(buf);
            } finally {
                buf.release();
            }
            quickAck(ctx.channel());
        }

        /**
         * Acknowledges what arrives next at once (Linux TCP_QUICKACK, which the kernel drops again on its own):
         * a stock client writes without TCP_NODELAY, so its second small write waits behind Nagle for our ACK,
         * and a delayed ACK cost 40 ms of every pull (the checksum names' length byte, then the names).
         */
        private void quickAck(Channel ch) {
            if (quickAcks) {
                try {
                    quickAcks = ch.config().setOption(QUICK_ACK, true);
                } catch (RuntimeException unsupported) {
                    quickAcks = false;
                }
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            streams.writabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            deadline.cancel();
            streams.closed();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (started || !tls) { // before a TLS session starts, the failed handshake's event has said it
                log.accept("connection error from " + ctx.channel().remoteAddress() + ": " + cause.getMessage());
            }
            ctx.close();
        }
    }

    /**
     * rsync's handshake deadline: absolute, not idle, so a client trickling a byte at a time holds neither a
     * connection nor a "max connections" slot for long. Firing ends the session's waits and closes the channel.
     */
    private static final class HandshakeDeadline {
        private final Channel channel;
        private final ChannelStreams streams;
        private ScheduledFuture<?> timer;

        HandshakeDeadline(Channel channel, ChannelStreams streams) {
            this.channel = channel;
            this.streams = streams;
        }

        synchronized void restart(int seconds) {
            cancel();
            timer = channel.eventLoop().schedule(() -> {
                streams.fail(new RsyncException(ExitCode.TIMEOUT, "daemon handshake timeout after " + seconds
                        + " seconds -- exiting"));
                channel.close();
            }, seconds, TimeUnit.SECONDS);
        }

        synchronized void cancel() {
            if (timer != null) {
                timer.cancel(false);
            }
        }
    }

    /**
     * rsync's io timeout (io.c check_timeout): nothing read or written for that long. While the session is still
     * working through input it took (reads pause when it falls behind), the silence is ours, not the peer's.
     */
    private static final class SessionIdle extends IdleStateHandler {
        private final ChannelStreams streams;
        private final int seconds;

        SessionIdle(ChannelStreams streams, int seconds) {
            super(0, 0, seconds, TimeUnit.SECONDS);
            this.streams = streams;
            this.seconds = seconds;
        }

        @Override
        protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
            if (System.nanoTime() - streams.lastTakenNanos() < TimeUnit.SECONDS.toNanos(seconds)) {
                return;
            }
            streams.fail(new RsyncException(ExitCode.TIMEOUT, "io timeout after " + seconds + " seconds -- exiting"));
            ctx.close();
        }
    }

    private void serve(Channel ch, ChannelStreams streams, HandshakeDeadline deadline, RsyncdConf conf) {
        InetAddress peer = ((InetSocketAddress) ch.remoteAddress()).getAddress();
        String peerName = HostAccess.Resolver.system().reverse(peer).orElse("UNKNOWN");
        ModuleConf module = null;
        ServerSession session = null;
        AtomicReference<ConnectionSlots.Slot> slot = new AtomicReference<>();
        try {
            ServerHandshake hs = new ServerHandshake(conf, access, m -> claimSlot(m, slot, streams, deadline), log);
            Optional<ModuleRequest> req = hs.run(streams.in, streams.out, peer, peerName);
            deadline.cancel();
            if (req.isEmpty()) {
                return;
            }
            module = req.get().module();
            ClientArgs args = ClientArgs.parse(req.get().args());
            log.accept("rsync " + (args.sender() ? "on " : "to ") + module.name() + " from " + peerName + " ("
                    + peer.getHostAddress() + ")" + (req.get().user() == null ? "" : " as " + req.get().user()));
            int timeout = ioTimeoutSeconds(module.timeout(), args.timeout());
            if (timeout > 0) {
                ch.pipeline().addFirst("idle", new SessionIdle(streams, timeout)); // first: it sees the raw socket
            }
            session = new ServerSession(req.get(), args, Path.of(module.path()), log,
                    timeout > 0 ? timeout * 1000L : NO_TIMEOUT_MILLIS);
            ReceiveStats stats = session.run(streams.in, streams.out);
            onSession.accept(new Session(module.name(), req.get().user(), peer, stats, null));
        } catch (DaemonRefusal refused) {
            // already told the client and logged; reported for the counts of refusals
            onSession.accept(new Session(module == null ? null : module.name(), null, peer, null, refused));
        } catch (UncheckedIOException e) {
            if (e.getCause() instanceof DaemonRefusal refused) {
                onSession.accept(new Session(module == null ? null : module.name(), null, peer, null, refused));
            } else {
                failed(peer, peerName, module, session, e.getCause());
            }
        } catch (Exception e) {
            failed(peer, peerName, module, session, e);
        } finally {
            if (slot.get() != null) {
                slot.get().close();
            }
            ch.close();
        }
    }

    /** A session that ended in an error; what it changed before that is still reported (a relay forwards it). */
    private void failed(InetAddress peer, String peerName, ModuleConf module, ServerSession session, Exception e) {
        log.accept("session from " + peerName + " (" + peer.getHostAddress() + ") failed: " + e.getMessage());
        onSession.accept(new Session(module == null ? null : module.name(), null, peer,
                session == null ? null : session.stats(), e));
    }

    /**
     * The handshake's "max connections" check. It is also where the handshake first knows the module, so the
     * deadline restarts with the module's own limit, as rsync's does once the module is chosen.
     */
    private boolean claimSlot(ModuleConf m, AtomicReference<ConnectionSlots.Slot> slot, ChannelStreams streams,
                              HandshakeDeadline deadline) {
        Optional<ConnectionSlots.Slot> claimed;
        try {
            claimed = slots.claim(m);
        } catch (IOException e) {
            log.accept("failed to open lock file " + m.lockFile() + ": " + e.getMessage());
            try {
                streams.out.write("@ERROR: failed to open lock file\n".getBytes(StandardCharsets.US_ASCII));
                streams.out.flush();
            } catch (IOException gone) {
                // the client is gone; the refusal stands
            }
            // the handshake's callback cannot throw a checked exception; serve() unwraps it
            throw new UncheckedIOException(new DaemonRefusal("@ERROR: failed to open lock file"));
        }
        claimed.ifPresent(slot::set);
        deadline.restart(handshakeSeconds(m.timeout()));
        return claimed.isPresent();
    }
}
