package io.camelrsync.daemon;

import io.camelrsync.daemonconf.HostAccess;
import io.camelrsync.daemonconf.ModuleConf;
import io.camelrsync.daemonconf.RsyncdConf;
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
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
                }
                return taken;
            }, log);
            Optional<ModuleRequest> req = hs.run(streams.in, streams.out, peer, peerName);
            if (req.isEmpty()) {
                return;
            }
            module = req.get().module();
            long timeout = module.timeout() > 0 ? module.timeout() * 1000L : 600_000L;
            streams.setTimeoutMillis(timeout);
            log.accept("rsync to " + module.name() + " from " + peerName + " (" + peer.getHostAddress() + ")"
                    + (req.get().user() == null ? "" : " as " + req.get().user()));
            ReceiveStats stats = new ReceiveSession(req.get(), ClientArgs.parse(req.get().args()),
                    Path.of(module.path()), log, timeout).run(streams.in, streams.out);
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
}
