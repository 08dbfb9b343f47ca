package io.camelrsync.component;

import io.camelrsync.client.RsyncTarget;
import io.camelrsync.component.internal.DaemonMetrics;
import io.camelrsync.daemon.DaemonServer;
import io.camelrsync.daemon.DaemonTls;
import io.camelrsync.daemonconf.RsyncdConf;
import java.nio.file.Path;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An rsync daemon inside a route: serves the modules of an rsyncd.conf to pushing clients (TLS only, for
 * rsync-ssl, when the endpoint has TLS options), and turns each finished session into one exchange describing
 * what arrived (module, user, peer, files, bytes, deletions, the paths it changed). A session that failed part way
 * is an exchange that failed, with the same headers for what it changed before that (bridgeErrorHandler routes
 * it to the route's onException, where a relay forwards those paths).
 */
public class RsyncConsumer extends DefaultConsumer {
    private static final Logger LOG = LoggerFactory.getLogger(RsyncConsumer.class);

    private DaemonServer server;
    /** Session counts for the app's meter registry; null without one. */
    private DaemonMetrics metrics;

    public RsyncConsumer(RsyncEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
    }

    @Override
    public RsyncEndpoint getEndpoint() {
        return (RsyncEndpoint) super.getEndpoint();
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        RsyncEndpoint ep = getEndpoint();
        if (ep.getConfig() == null) {
            throw new IllegalArgumentException("the rsync consumer " + ep.getEndpointUri() + " needs the config"
                    + " option (an rsyncd.conf with the modules to serve)");
        }
        RsyncdConf conf = RsyncdConf.read(Path.of(ep.getConfig()));
        conf.warnings().forEach(w -> LOG.warn("{}", w));
        DaemonTls tls = tls(ep);
        int port = ep.getPort() != null ? ep.getPort()
                : tls != null ? DaemonTls.DEFAULT_PORT : RsyncTarget.DEFAULT_PORT;
        metrics = DaemonMetrics.of(getEndpoint().getCamelContext());
        server = new DaemonServer(conf, line -> LOG.info("{}", line), this::onSession);
        server.start(ep.getHost(), port, tls);
        LOG.info("rsync daemon listening on {}:{}{} with modules {}", ep.getHost(), server.port(),
                tls != null ? " (TLS)" : "", conf.modules().keySet());
    }

    private DaemonTls tls(RsyncEndpoint ep) throws Exception {
        boolean pem = ep.getSslCertFile() != null || ep.getSslKeyFile() != null;
        if (pem && ep.getSslContextParameters() != null) {
            throw new IllegalArgumentException("the rsync consumer " + ep.getEndpointUri() + " has both"
                    + " sslContextParameters and sslCertFile/sslKeyFile; give one way of configuring TLS");
        }
        if (ep.getSslContextParameters() != null) {
            return DaemonTls.fromSslContext(ep.getSslContextParameters().createSSLContext(ep.getCamelContext()));
        }
        if (!pem) {
            return null;
        }
        if (ep.getSslCertFile() == null || ep.getSslKeyFile() == null) {
            throw new IllegalArgumentException("the rsync consumer " + ep.getEndpointUri() + " needs both"
                    + " sslCertFile and sslKeyFile for TLS");
        }
        return DaemonTls.fromPem(Path.of(ep.getSslCertFile()), Path.of(ep.getSslKeyFile()));
    }

    @Override
    protected void doStop() throws Exception {
        if (server != null) {
            server.close();
            server = null;
        }
        super.doStop();
    }

    /** The port actually bound (useful with port 0). */
    public int localPort() {
        return server.port();
    }

    private void onSession(DaemonServer.Session s) {
        if (metrics != null) {
            metrics.session(s, s.refused());
        }
        if (s.refused()) {
            return; // the client was told and the daemon logged it: no exchange, as before the push began
        }
        Exchange exchange = createExchange(false);
        try {
            var in = exchange.getIn();
            in.setHeader(RsyncConstants.MODULE, s.module());
            in.setHeader(RsyncConstants.USER, s.user());
            in.setHeader(RsyncConstants.PEER, s.peer().getHostAddress());
            if (s.stats() != null) {
                in.setHeader(RsyncConstants.FILES, s.stats().files);
                in.setHeader(RsyncConstants.FILES_TRANSFERRED, s.stats().transferredFiles);
                in.setHeader(RsyncConstants.LITERAL_BYTES, s.stats().literalBytes);
                in.setHeader(RsyncConstants.MATCHED_BYTES, s.stats().matchedBytes);
                in.setHeader(RsyncConstants.DELETED_FILES, s.stats().deleted());
                in.setHeader(RsyncConstants.UPDATED_PATHS, s.stats().changes.updated());
                in.setHeader(RsyncConstants.DELETED_PATHS, s.stats().changes.deleted());
                in.setHeader(RsyncConstants.PATHS_COMPLETE, s.stats().changes.complete());
            }
            if (s.failure() != null) {
                exchange.setException(s.failure());
            }
            getProcessor().process(exchange);
        } catch (Exception e) {
            exchange.setException(e);
        } finally {
            if (exchange.getException() != null) {
                getExceptionHandler().handleException("rsync session from " + s.peer() + " failed", exchange,
                        exchange.getException());
            }
            releaseExchange(exchange, false);
        }
    }
}
