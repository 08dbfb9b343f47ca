package io.camelrsync.daemon;

import io.camelrsync.daemonconf.HostAccess;
import io.camelrsync.daemonconf.ModuleConf;
import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.protocol.MessageCode;
import io.camelrsync.protocol.MultiplexWriter;
import io.camelrsync.protocol.RsyncException;
import io.camelrsync.protocol.WireOutput;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The rsync daemon's listener on Netty: each connection gets a session thread running the handshake and the
 * receiving side over {@link ChannelStreams}; per-module connection counts enforce "max connections".
 */
public final class DaemonServer implements AutoCloseable {
    /** What one finished session did, for the log and for a Camel consumer. */
    public record Session(String module, String user, InetAddress peer, ReceiveStats stats, Throwable failure) {
    }

    /** Per read, and (rsync's DAEMON_HANDSHAKE_TIMEOUT) for the whole handshake, which a module's timeout shortens. */
    private static final long HANDSHAKE_TIMEOUT_MILLIS = 60_000;

    private final RsyncdConf conf;
    private final Consumer<String> log;
    private final Consumer<Session> onSession;
    private final HostAccess access = new HostAccess(HostAccess.Resolver.system());
    private final Map<String, AtomicInteger> connections = new ConcurrentHashMap<>();
    private final ExecutorService sessions = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "rsyncd-session");
        t.setDaemon(true);
        return t;
    });
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private Channel server;

    public DaemonServer(RsyncdConf conf, Consumer<String> log, Consumer<Session> onSession) {
        this.conf = conf;
        this.log = log;
        this.onSession = onSession;
    }

    public void start(String address, int port) throws InterruptedException {
        boss = new NioEventLoopGroup(1);
        workers = new NioEventLoopGroup();
        server = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 128)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new Bridge());
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

    private boolean takeSlot(ModuleConf m) {
        AtomicInteger n = connections.computeIfAbsent(m.name(), k -> new AtomicInteger());
        if (n.incrementAndGet() > m.maxConnections()) {
            n.decrementAndGet();
            return false;
        }
        return true;
    }

    /** One connection: bytes in and out on the event loop, the session on its own thread. */
    private final class Bridge extends ChannelInboundHandlerAdapter {
        private ChannelStreams streams;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel ch = ctx.channel();
            streams = new ChannelStreams(ch, HANDSHAKE_TIMEOUT_MILLIS);
            streams.setHandshakeDeadline(HANDSHAKE_TIMEOUT_MILLIS);
            sessions.execute(() -> serve(ch, streams));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                streams.received(buf);
            } finally {
                buf.release();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            streams.writabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            streams.closed();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.accept("connection error from " + ctx.channel().remoteAddress() + ": " + cause.getMessage());
            ctx.close();
        }
    }

    private void serve(Channel ch, ChannelStreams streams) {
        InetAddress peer = ((InetSocketAddress) ch.remoteAddress()).getAddress();
        String peerName = HostAccess.Resolver.system().reverse(peer).orElse("UNKNOWN");
        ModuleConf module = null;
        java.util.concurrent.atomic.AtomicReference<ModuleConf> slot = new java.util.concurrent.atomic.AtomicReference<>();
        try {
            ServerHandshake hs = new ServerHandshake(conf, access, m -> {
                boolean taken = takeSlot(m);
                if (taken) {
                    slot.set(m); // released below, whatever happens after the handshake took it
                    // login and arguments get the module's timeout at most, however slowly the bytes come
                    long t = m.timeout() * 1000L;
                    streams.setHandshakeDeadline(t > 0 && t < HANDSHAKE_TIMEOUT_MILLIS ? t : HANDSHAKE_TIMEOUT_MILLIS);
                }
                return taken;
            }, log);
            Optional<ModuleRequest> req = hs.run(streams.in, streams.out, peer, peerName);
            if (req.isEmpty()) {
                return;
            }
            streams.setHandshakeDeadline(0);
            module = req.get().module();
            long timeout = module.timeout() > 0 ? module.timeout() * 1000L : 600_000L;
            streams.setTimeoutMillis(timeout);
            log.accept("rsync to " + module.name() + " from " + peerName + " (" + peer.getHostAddress() + ")"
                    + (req.get().user() == null ? "" : " as " + req.get().user()));
            ClientArgs args;
            try {
                args = ClientArgs.parse(req.get().args());
            } catch (RsyncException refused) {
                refuseArguments(streams, req.get().protocol(), refused);
                throw refused;
            }
            ReceiveStats stats = new ReceiveSession(req.get(), args, Path.of(module.path()), log, timeout)
                    .run(streams.in, streams.out);
            onSession.accept(new Session(module.name(), req.get().user(), peer, stats, null));
        } catch (DaemonRefusal refused) {
            // already told the client and logged
        } catch (Exception e) {
            log.accept("session from " + peerName + " (" + peer.getHostAddress() + ") failed: " + e.getMessage());
            onSession.accept(new Session(module == null ? null : module.name(), null, peer, null, e));
        } finally {
            if (slot.get() != null) {
                connections.get(slot.get().name()).decrementAndGet();
            }
            ch.close();
        }
    }

    /**
     * Tells the client which argument was refused, as rsync does (clientserver.c rsync_module): the protocol
     * setup first, with nothing negotiated, so that the message can travel multiplexed; then ERROR and, from
     * protocol 31, ERROR_EXIT. What the client sends next is read for a moment (rsync sleeps instead) so that
     * closing with unread input does not reset the connection before the client has read the message.
     */
    private static void refuseArguments(ChannelStreams streams, int protocol, RsyncException why) {
        try {
            WireOutput setup = new WireOutput(streams.out);
            setup.writeVarint(0); // compat flags: nothing; a one-byte value reads the same as a varint
            setup.writeInt(0); // checksum seed
            MultiplexWriter mux = new MultiplexWriter(streams.out);
            mux.sendMessage(MessageCode.ERROR, (why.getMessage() + "\n").getBytes(StandardCharsets.UTF_8));
            if (protocol >= 31) {
                mux.sendInt(MessageCode.ERROR_EXIT, why.exitCode());
            }
            mux.flush();
            streams.setTimeoutMillis(400); // rsync sleeps 400 ms before it exits
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(400);
            byte[] buf = new byte[4096];
            while (System.nanoTime() < until && streams.in.read(buf, 0, buf.length) >= 0) {
                // the client's answer, if any, until it hangs up
            }
        } catch (IOException gone) {
            // the client is gone or silent; the refusal is logged either way
        }
    }
}
