package io.camelrsync.mirror;

import io.camelrsync.flist.ChangeSet;
import io.camelrsync.protocol.RsyncException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A push that failed twice for a reason other than the target or the network (routes/mirror.camel.yaml sends it
 * here): pushing the same thing again would fail the same way, so it is never retried as it is. A change set
 * escalates to a full sync of that target, queued like any batch (pending changes merge into it). A full sync
 * that fails so is not retried either: the target is marked, and its next batch goes as a full sync (a change
 * set, or the next verify, which is one anyway), so nothing is lost and nothing loops.
 */
public class TargetEscalation {
    private static final Logger LOG = LoggerFactory.getLogger(TargetEscalation.class);

    /** Queues of the targets whose last full sync failed. */
    private final Set<String> needFullSync = ConcurrentHashMap.newKeySet();

    /** The step of the onException clause for failures that are not the target's. */
    public void escalate(Exchange exchange) {
        Message in = exchange.getIn();
        String target = in.getHeader(MirrorHeaders.TARGET, String.class);
        String queue = in.getHeader(MirrorHeaders.QUEUE, String.class);
        String why = reason(exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class));
        if (exchange.getContext().isStopping()) {
            // redelivery stops with the mirror: one attempt may have been all, and the start-up sync redoes it
            LOG.warn("mirror: batch to {} failed while the mirror stops ({}); the next start-up sync carries it",
                    target, why);
            return;
        }
        if (isFullSync(in.getBody())) {
            needFullSync.add(queue);
            LOG.error("mirror: full sync to {} failed twice ({}); not retried: the target's next batch goes as a"
                    + " full sync", target, why);
            return;
        }
        LOG.error("mirror: batch to {} failed twice ({}); escalating to a full sync", target, why);
        Object firstEventAt = in.getHeader(MergingQueue.FIRST_EVENT_AT);
        ProducerTemplate template = exchange.getContext().createProducerTemplate();
        try {
            template.send(queue, e -> {
                e.getIn().setBody(ChangeSets.fullSync());
                e.getIn().setHeader(MergingQueue.FIRST_EVENT_AT, firstEventAt);
            });
        } finally {
            template.stop();
        }
    }

    /** The first step of a target's route: after a failed full sync, this batch is one. */
    public void upgrade(Exchange exchange) {
        Message in = exchange.getIn();
        String queue = in.getHeader(MirrorHeaders.QUEUE, String.class);
        if (isFullSync(in.getBody())) {
            needFullSync.remove(queue);
        } else if (needFullSync.remove(queue)) {
            LOG.warn("mirror: the last full sync to {} failed, so this batch goes as a full sync",
                    in.getHeader(MirrorHeaders.TARGET));
            in.setBody(ChangeSets.fullSync());
        }
    }

    /** True while the last full sync through this target's queue (mirror-queue:N) failed and no batch went since. */
    public boolean needsFullSync(String queue) {
        return needFullSync.contains(queue);
    }

    /** The producer's body: a change set, or nothing for the whole tree. */
    private static boolean isFullSync(Object body) {
        return body == null || body instanceof ChangeSet cs && ChangeSets.isFullSync(cs);
    }

    /** The exit code and rsync's own text, without the producer's "rsync push to ... failed" prefix. */
    private static String reason(Throwable t) {
        if (t == null) {
            return "unknown cause";
        }
        String text = t.toString();
        if (t instanceof RsyncException r) {
            String m = String.valueOf(r.getMessage());
            int colon = m.startsWith("rsync push to ") ? m.indexOf("): ") : -1;
            text = "exit code " + r.exitCode() + ": " + (colon < 0 ? m : m.substring(colon + 3));
        }
        text = text.strip();
        int nl = text.indexOf('\n');
        return nl < 0 ? text : text.substring(0, nl);
    }
}
