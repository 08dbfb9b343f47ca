package io.camelrsync.daemon;

import io.camelrsync.protocol.AuthDigest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;

/**
 * The daemon's TLS, the way rsync-ssl reaches a daemon: stock rsync has no TLS of its own, so rsync-ssl runs
 * openssl s_client (or stunnel, gnutls-cli) to port 874 and speaks the plain daemon protocol inside the tunnel.
 * Each connection gets its own server-side SslHandler; a plaintext client on the TLS port is told so in a
 * daemon @ERROR line instead of being left to guess from a dropped connection.
 */
public final class DaemonTls {
    /** rsync-ssl's default port (RSYNC_SSL_PORT). */
    public static final int DEFAULT_PORT = 874;
    /** A TLS record header is five bytes: enough to tell TLS from rsync's "@RSYNCD:" greeting. */
    private static final int RECORD_HEADER = 5;

    private final Function<ByteBufAllocator, SslHandler> handlers;

    private DaemonTls(Function<ByteBufAllocator, SslHandler> handlers) {
        this.handlers = handlers;
    }

    /** From PEM files: the certificate chain (server first) and its unencrypted PKCS#8 private key. */
    public static DaemonTls fromPem(Path certificateChain, Path privateKey) throws IOException {
        try {
            return new DaemonTls(SslContextBuilder.forServer(certificateChain.toFile(), privateKey.toFile()).build()
                    ::newHandler);
        } catch (SSLException | IllegalArgumentException e) {
            throw new IOException("cannot use the TLS certificate " + certificateChain + " with the key " + privateKey
                    + ": " + e.getMessage() + " (both PEM; the key unencrypted PKCS#8, \"BEGIN PRIVATE KEY\" -"
                    + " openssl pkcs8 -topk8 -nocrypt converts an \"RSA PRIVATE KEY\")", e);
        }
    }

    /** From a JDK SSLContext (Camel's sslContextParameters), whose engines carry its protocols and suites. */
    public static DaemonTls fromSslContext(SSLContext context) {
        return new DaemonTls(alloc -> {
            SSLEngine engine = context.createSSLEngine();
            engine.setUseClientMode(false);
            return new SslHandler(engine);
        });
    }

    /** The first handler of a connection: becomes the SslHandler, or refuses a plaintext rsync client. */
    ChannelHandler newDetector(Consumer<String> log) {
        return new TlsOrPlaintext(log);
    }

    private final class TlsOrPlaintext extends ByteToMessageDecoder {
        private final Consumer<String> log;

        TlsOrPlaintext(Consumer<String> log) {
            this.log = log;
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            if (in.readableBytes() < RECORD_HEADER) {
                return;
            }
            // replacing this decoder hands what it has buffered to the replacement
            if (SslHandler.isEncrypted(in, false)) {
                ctx.pipeline().replace(this, "tls", handlers.apply(ctx.alloc()));
            } else {
                ctx.pipeline().replace(this, "plaintext-refusal", new PlaintextRefusal(log));
            }
        }
    }

    /**
     * Answers a plaintext client as a daemon refusing it: our greeting, then the @ERROR line the client prints
     * after sending its module name. Our side is half-closed so that name arrives on an open socket (a full
     * close would reset the connection and could swallow the error); the client's close, or the handshake
     * deadline, ends the connection.
     */
    private static final class PlaintextRefusal extends ChannelInboundHandlerAdapter {
        private final Consumer<String> log;

        PlaintextRefusal(Consumer<String> log) {
            this.log = log;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            log.accept("plaintext client from " + ctx.channel().remoteAddress() + " on the TLS port refused");
            String reply = "@RSYNCD: " + ServerHandshake.PROTOCOL + ".0 " + AuthDigest.wireList() + "\n"
                    + "@ERROR: this port speaks TLS only: connect with rsync-ssl\n";
            ctx.writeAndFlush(ctx.alloc().buffer().writeBytes(reply.getBytes(StandardCharsets.US_ASCII)))
                    .addListener((ChannelFutureListener) f -> ((DuplexChannel) f.channel()).shutdownOutput());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg); // the rest of its handshake is not for us
        }
    }
}
