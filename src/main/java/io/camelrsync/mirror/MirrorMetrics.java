package io.camelrsync.mirror;

import io.camelrsync.component.RsyncConstants;
import io.camelrsync.flist.ChangeSet;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.BlockingQueue;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.ServiceStatus;
import org.apache.camel.component.seda.SedaEndpoint;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * The mirror's metrics and health, for Camel's observe endpoints. Per target ({@code target} tag: host:port/module):
 * batches, files sent, literal bytes, deletions, full syncs, failures, verify fixes (counters); lag (the age of the
 * oldest change not yet on the target: in the pending change set or in the batch being pushed), pending paths and
 * the last success (gauges). Health: readiness is UP once the watch route runs and every target has had its first
 * full sync; each target's check goes DOWN while its lag exceeds {@code mirror.health.max-lag}; liveness fails when
 * the watch route is not running (a recovery restarts it).
 *
 * <p>The routes call it: {@link #started} when a target takes a batch, {@link #done} after a push (a verify's fixes
 * in its header), {@link #failed} before each redelivery (as the redelivery processor) and each escalation.
 */
public class MirrorMetrics implements CamelContextAware, Processor {
    /** How much history the status page's charts keep. */
    private static final long HISTORY_MILLIS = 3_600_000;
    private CamelContext context;
    private MeterRegistry registry;
    private String source;
    private Duration maxLag = Duration.ofMinutes(5);
    /**
     * Targets by label, per meter registry: a reload of edited routes makes a new instance of this bean, which
     * must go on with the same targets (Micrometer keeps the first gauge of a name and binds it to its object).
     */
    private static final Map<MeterRegistry, Map<String, Target>> TARGETS =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());
    private Map<String, Target> targets;

    /** One target's numbers. */
    private final class Target {
        final String label;
        /** The sync it belongs to (mirror.syncs[NAME]); set by its first batch. */
        volatile String sync = MirrorSyncs.DEFAULT;
        final Counter batches;
        final Counter files;
        final Counter literalBytes;
        final Counter deleted;
        final Counter fullSyncs;
        final Counter failures;
        final Counter verifyFixes;
        /** The queue its change sets wait in (for lag and pending paths); null until its first batch. */
        volatile BlockingQueue<Exchange> queue;
        /** Epoch millis of the oldest change of the batch being pushed; 0 when none is. */
        volatile long inFlightSince;
        volatile long lastSuccess;
        volatile boolean synced;
        volatile String lastError = "";
        /** The last successful push: epoch millis, files, literal bytes, deletions, whether a full sync. */
        volatile long[] lastBatch;
        /** Samples for the status page's charts: epoch millis, lag millis, literal bytes so far, files so far. */
        final java.util.ArrayDeque<long[]> history = new java.util.ArrayDeque<>();

        Target(String label) {
            this.label = label;
            MeterRegistry r = registry();
            batches = counter(r, "mirror.batches", "batches pushed to the target");
            files = counter(r, "mirror.files.sent", "files transferred to the target");
            literalBytes = counter(r, "mirror.literal.bytes", "file data sent as literal bytes");
            deleted = counter(r, "mirror.deleted.files", "paths deleted on the target");
            fullSyncs = counter(r, "mirror.full.syncs", "full syncs of the target (start-up, recovery, verify)");
            failures = counter(r, "mirror.failures", "failed pushes (each redelivery and escalation)");
            verifyFixes = counter(r, "mirror.verify.fixes", "paths a verify found out of date");
            Gauge.builder("mirror.lag.seconds", this, t -> t.lagMillis() / 1000.0).tag("target", label)
                    .description("age of the oldest change not yet on the target").register(r);
            Gauge.builder("mirror.pending.paths", this, Target::pendingPaths).tag("target", label)
                    .description("paths waiting for the target").register(r);
            Gauge.builder("mirror.last.success.seconds", this, t -> t.lastSuccess / 1000.0).tag("target", label)
                    .description("when a push to the target last succeeded (epoch seconds)").register(r);
        }

        private Counter counter(MeterRegistry r, String name, String description) {
            return Counter.builder(name).tag("target", label).description(description).register(r);
        }

        long lagMillis() {
            long oldest = inFlightSince;
            Exchange waiting = queue == null ? null : queue.peek();
            Long pending = waiting == null ? null : waiting.getIn().getHeader(MergingQueue.FIRST_EVENT_AT, Long.class);
            if (pending != null && (oldest == 0 || pending < oldest)) {
                oldest = pending;
            }
            return oldest == 0 ? 0 : Math.max(0, System.currentTimeMillis() - oldest);
        }

        double pendingPaths() {
            Exchange waiting = queue == null ? null : queue.peek();
            Object body = waiting == null ? null : waiting.getIn().getBody();
            return body instanceof ChangeSet cs ? cs.size() : waiting == null ? 0 : 1;
        }
    }

    /** A target's route took a batch. */
    public void started(Exchange exchange) {
        Message in = exchange.getIn();
        Target t = target(in);
        if (t.queue == null) {
            String uri = in.getHeader(MirrorHeaders.QUEUE, String.class);
            if (uri != null && context.hasEndpoint(uri) instanceof SedaEndpoint seda) {
                t.queue = seda.getQueue();
            }
        }
        Long first = in.getHeader(MergingQueue.FIRST_EVENT_AT, Long.class);
        t.inFlightSince = first != null ? first : System.currentTimeMillis();
    }

    /** A push succeeded. */
    public void done(Exchange exchange) {
        Message in = exchange.getIn();
        Target t = target(in);
        t.batches.increment();
        t.files.increment(number(in, RsyncConstants.FILES_TRANSFERRED));
        t.literalBytes.increment(number(in, RsyncConstants.LITERAL_BYTES));
        t.deleted.increment(number(in, RsyncConstants.DELETED_FILES));
        t.verifyFixes.increment(number(in, MirrorHeaders.VERIFY_FIXED));
        boolean full = !(in.getBody() instanceof ChangeSet cs) || ChangeSets.isFullSync(cs);
        if (full) {
            t.fullSyncs.increment();
            t.synced = true;
        }
        t.inFlightSince = 0;
        t.lastSuccess = System.currentTimeMillis();
        t.lastError = "";
        t.lastBatch = new long[] {t.lastSuccess, (long) number(in, RsyncConstants.FILES_TRANSFERRED),
                (long) number(in, RsyncConstants.LITERAL_BYTES), (long) number(in, RsyncConstants.DELETED_FILES),
                full ? 1 : 0};
    }

    /** Takes one sample of every target for the status page's charts (the last hour at most). */
    public void sample() {
        long now = System.currentTimeMillis();
        for (Target t : targets().values()) {
            synchronized (t.history) {
                t.history.addLast(new long[] {now, t.lagMillis(), (long) t.literalBytes.count(),
                        (long) t.files.count()});
                while (t.history.size() > 1 && now - t.history.peekFirst()[0] > HISTORY_MILLIS) {
                    t.history.removeFirst();
                }
            }
        }
    }

    /** What the status page shows, as JSON: the source, the watch, and each target's state, numbers and history. */
    public String statusJson() {
        StringBuilder b = new StringBuilder("{\"source\":").append(quote(source)).append(",\"watching\":")
                .append(context != null && watchRunning(context)).append(",\"now\":")
                .append(System.currentTimeMillis()).append(",\"maxLagSeconds\":").append(maxLag.toSeconds())
                .append(",\"targets\":[");
        List<Target> all = new ArrayList<>(targets().values());
        all.sort(java.util.Comparator.comparing(t -> t.label));
        for (int i = 0; i < all.size(); i++) {
            Target t = all.get(i);
            long lag = t.lagMillis();
            String state = !t.lastError.isEmpty() ? "failing" : lag > maxLag.toMillis() ? "behind"
                    : !t.synced ? "syncing" : "ok";
            b.append(i == 0 ? "" : ",").append("{\"target\":").append(quote(t.label))
                    .append(",\"sync\":").append(quote(t.sync))
                    .append(",\"state\":\"").append(state).append('"')
                    .append(",\"lagSeconds\":").append(lag / 1000.0)
                    .append(",\"pendingPaths\":").append((long) t.pendingPaths())
                    .append(",\"batches\":").append((long) t.batches.count())
                    .append(",\"failures\":").append((long) t.failures.count())
                    .append(",\"fullSyncs\":").append((long) t.fullSyncs.count())
                    .append(",\"filesSent\":").append((long) t.files.count())
                    .append(",\"bytesSent\":").append((long) t.literalBytes.count())
                    .append(",\"lastSuccess\":").append(t.lastSuccess)
                    .append(",\"lastError\":").append(quote(t.lastError));
            long[] last = t.lastBatch;
            if (last != null) {
                b.append(",\"lastBatch\":{\"at\":").append(last[0]).append(",\"files\":").append(last[1])
                        .append(",\"bytes\":").append(last[2]).append(",\"deleted\":").append(last[3])
                        .append(",\"fullSync\":").append(last[4] == 1).append('}');
            }
            b.append(",\"history\":[");
            synchronized (t.history) {
                int j = 0;
                for (long[] h : t.history) {
                    b.append(j++ == 0 ? "" : ",").append('[').append(h[0]).append(',').append(h[1]).append(',')
                            .append(h[2]).append(',').append(h[3]).append(']');
                }
            }
            b.append("]}");
        }
        return b.append("]}").toString();
    }

    private static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c == '<' || c == '>' || c == '&' || Character.isSurrogate(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    /** A push failed (it is redelivered or escalated). */
    public void failed(Exchange exchange) {
        Target t = target(exchange.getIn());
        t.failures.increment();
        Throwable e = exchange.getException() != null ? exchange.getException()
                : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        t.lastError = e == null ? "failed" : String.valueOf(e.getMessage());
    }

    /** As the redelivery processor of the target routes' error handling: each failed attempt counts. */
    @Override
    public void process(Exchange exchange) {
        failed(exchange);
    }

    private Target target(Message in) {
        String label = in.getHeader(MirrorHeaders.TARGET, "unknown", String.class);
        Target t = targets().computeIfAbsent(label, Target::new);
        String sync = in.getHeader(MirrorHeaders.SYNC, String.class);
        if (sync != null) {
            t.sync = sync;
        }
        return t;
    }

    private synchronized Map<String, Target> targets() {
        if (targets == null) {
            targets = TARGETS.computeIfAbsent(registry(), r -> new ConcurrentHashMap<>());
        }
        return targets;
    }

    private static double number(Message in, String header) {
        Number n = in.getHeader(header, Number.class);
        return n == null ? 0 : Math.max(0, n.doubleValue());
    }

    /** The registry camel-micrometer set up (Prometheus), or one of our own when there is none (tests, embedding). */
    synchronized MeterRegistry registry() {
        if (registry == null) {
            registry = context == null ? null : context.getRegistry().findSingleByType(MeterRegistry.class);
            if (registry == null) {
                registry = new SimpleMeterRegistry();
            }
        }
        return registry;
    }

    @Override
    public void setCamelContext(CamelContext context) {
        this.context = context;
        try {
            context.addStartupListener((ctx, alreadyStarted) -> registerHealthChecks(ctx));
        } catch (Exception e) {
            throw new IllegalStateException("cannot register the mirror's health checks", e);
        }
    }

    @Override
    public CamelContext getCamelContext() {
        return context;
    }

    private void registerHealthChecks(CamelContext ctx) {
        HealthCheckRegistry checks = HealthCheckRegistry.get(ctx);
        if (checks == null) {
            return; // camel-health not on the classpath: nothing to report to
        }
        checks.register(new Check("mirror-ready", true, false) {
            @Override
            protected void doCall(HealthCheckResultBuilder b, Map<String, Object> options) {
                boolean watching = watchRunning(ctx);
                long pending = targets().values().stream().filter(t -> !t.synced).count();
                int expected = ctx.getRoutes().stream().filter(r -> r.getRouteId().startsWith("mirror-target-"))
                        .mapToInt(r -> 1).sum();
                boolean ready = watching && targets().size() >= expected && pending == 0;
                b.detail("watching", watching).detail("targets", expected).detail("synced", targets().size() - pending);
                b.message(ready ? "watching, every target had its start-up sync"
                        : watching ? "start-up sync not done for every target" : "the source is not watched");
                if (ready) {
                    b.up();
                } else {
                    b.down();
                }
            }
        });
        checks.register(new Check("mirror-watch", false, true) {
            @Override
            protected void doCall(HealthCheckResultBuilder b, Map<String, Object> options) {
                if (watchRunning(ctx)) {
                    b.up();
                } else {
                    b.message("the watch route is not running").down();
                }
            }
        });
        checks.register(new Check("mirror-lag", true, false) {
            @Override
            protected void doCall(HealthCheckResultBuilder b, Map<String, Object> options) {
                boolean up = true;
                for (Target t : targets().values()) {
                    long lag = t.lagMillis();
                    b.detail(t.label + ".lag.ms", lag);
                    if (!t.lastError.isEmpty()) {
                        b.detail(t.label + ".last.error", t.lastError);
                    }
                    if (lag > maxLag.toMillis()) {
                        up = false;
                        b.message(t.label + " is " + lag / 1000 + " s behind (more than " + maxLag.toSeconds()
                                + " s)" + (t.lastError.isEmpty() ? "" : ": " + t.lastError));
                    }
                }
                if (up) {
                    b.up();
                } else {
                    b.down();
                }
            }
        });
    }

    /** True when every sync's feed (its watch, or a relay's route) runs. */
    private static boolean watchRunning(CamelContext ctx) {
        List<String> feeds = ctx.getRoutes().stream().map(r -> r.getRouteId())
                .filter(id -> id.startsWith("mirror-watch-") || id.startsWith("mirror-relay-")).toList();
        return !feeds.isEmpty() && feeds.stream()
                .allMatch(id -> ctx.getRouteController().getRouteStatus(id) == ServiceStatus.Started);
    }

    /** A health check of the mirror's, readiness and liveness as given. */
    private abstract static class Check extends AbstractHealthCheck {
        private final boolean readiness;
        private final boolean liveness;

        Check(String id, boolean readiness, boolean liveness) {
            super("camel-rsync", id);
            this.readiness = readiness;
            this.liveness = liveness;
        }

        @Override
        public boolean isReadiness() {
            return readiness;
        }

        @Override
        public boolean isLiveness() {
            return liveness;
        }
    }

    /** The mirrored tree, as the status page names it. */
    public void setSource(String source) {
        this.source = source;
    }

    /** How far behind a target may fall before its health goes DOWN (a Camel duration: 5m, 90s; default 5m). */
    public void setMaxLag(String maxLag) {
        this.maxLag = Duration.ofMillis(org.apache.camel.util.TimeUtils.toMilliSeconds(maxLag));
    }
}
