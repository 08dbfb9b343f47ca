package io.camelrsync.mirror;

import io.camelrsync.component.RsyncTargetException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Probes a target that is down instead of only backing off (the target routes' onExceptionOccurred): when a push
 * failed because of the target and its port refuses connections, a TCP connect is tried every {@code probeMillis}
 * (for at most {@code maxWaitMillis}) and the push is redelivered as soon as one succeeds, so a target that comes
 * back is caught up within a probe, not after the backoff. A target that answers but fails (auth, a full disk)
 * keeps the configured backoff: retrying it sooner would only repeat the failure.
 */
public class TargetProbe implements Processor, CamelContextAware {
    private CamelContext context;
    private long probeMillis = 1000;
    private long maxWaitMillis = 30_000;

    @Override
    public void process(Exchange exchange) throws Exception {
        exchange.getIn().removeHeader(Exchange.REDELIVERY_DELAY); // the policy's own delay unless found below
        if (!(exchange.getException() instanceof RsyncTargetException)) {
            return;
        }
        String label = exchange.getIn().getHeader(MirrorHeaders.TARGET, String.class);
        InetSocketAddress address = address(label);
        if (address == null || reachable(address)) {
            return;
        }
        long deadline = System.nanoTime() + maxWaitMillis * 1_000_000;
        while (System.nanoTime() < deadline && !stopping()) {
            try {
                Thread.sleep(probeMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (reachable(address)) {
                break;
            }
        }
        // back (or waited as long as the backoff would have): the next attempt goes now
        exchange.getIn().setHeader(Exchange.REDELIVERY_DELAY, 0L);
    }

    private boolean stopping() {
        return context != null && (context.isStopping() || context.isStopped());
    }

    /** host:port of a target label (host:port/module, see MirrorSyncs); null when it names none. */
    static InetSocketAddress address(String label) {
        if (label == null || label.indexOf('/') < 0) {
            return null;
        }
        String hostPort = label.substring(0, label.indexOf('/'));
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) {
            return null;
        }
        try {
            String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
            return InetSocketAddress.createUnresolved(host, Integer.parseInt(hostPort.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static boolean reachable(InetSocketAddress address) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address.getHostString(), address.getPort()), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public void setProbeMillis(long probeMillis) {
        this.probeMillis = Math.max(10, probeMillis);
    }

    public void setMaxWaitMillis(long maxWaitMillis) {
        this.maxWaitMillis = maxWaitMillis;
    }

    @Override
    public void setCamelContext(CamelContext context) {
        this.context = context;
    }

    @Override
    public CamelContext getCamelContext() {
        return context;
    }
}
