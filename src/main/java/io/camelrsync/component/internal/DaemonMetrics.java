package io.camelrsync.component.internal;

import io.camelrsync.daemon.DaemonServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;

/**
 * The rsync consumer's (our daemon's) sessions as Micrometer counters, when the app has a meter registry (the
 * mirror's camel-micrometer one): {@code rsync.daemon.sessions{module, outcome}} with outcome ok, failed, refused or
 * auth-failed, and per module the files sent, literal bytes and deletions of the finished pushes. Micrometer is an
 * optional dependency: {@link #of} answers null without it.
 */
public final class DaemonMetrics {
    private final MeterRegistry registry;

    private DaemonMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** The metrics of this context's meter registry; null when there is none (or no Micrometer at all). */
    public static DaemonMetrics of(CamelContext context) {
        try {
            Class.forName("io.micrometer.core.instrument.MeterRegistry", false, DaemonMetrics.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return null;
        }
        MeterRegistry r = context.getRegistry().findSingleByType(MeterRegistry.class);
        return r == null ? null : new DaemonMetrics(r);
    }

    public void session(DaemonServer.Session s, boolean refused) {
        String module = s.module() == null ? "" : s.module();
        String outcome = s.failure() == null ? "ok" : !refused ? "failed"
                : String.valueOf(s.failure().getMessage()).contains("auth failed") ? "auth-failed" : "refused";
        counter("rsync.daemon.sessions", module, "outcome", outcome, "sessions served, by outcome").increment();
        if (s.stats() != null && !s.stats().pulled) {
            counter("rsync.daemon.files", module, null, null, "files received").increment(s.stats().transferredFiles);
            counter("rsync.daemon.literal.bytes", module, null, null, "file data received as literal bytes")
                    .increment(s.stats().literalBytes);
            counter("rsync.daemon.deleted", module, null, null, "paths deleted by pushes").increment(s.stats().deleted());
        }
    }

    private Counter counter(String name, String module, String tag, String value, String description) {
        Counter.Builder b = Counter.builder(name).tag("module", module).description(description);
        if (tag != null) {
            b.tag(tag, value);
        }
        return b.register(registry);
    }
}
