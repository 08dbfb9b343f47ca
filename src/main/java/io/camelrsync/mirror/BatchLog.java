package io.camelrsync.mirror;

import io.camelrsync.component.RsyncConstants;
import io.camelrsync.flist.ChangeSet;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One summary line per pushed batch: what it held, what went over the wire, and how long the oldest change waited. */
public class BatchLog {
    private static final Logger LOG = LoggerFactory.getLogger(BatchLog.class);
    private final AtomicLong literalBytes = new AtomicLong();

    public void batchDone(Exchange exchange) {
        Message in = exchange.getIn();
        Object body = in.getBody();
        String what = body instanceof ChangeSet cs && !ChangeSets.isFullSync(cs) ? cs.size() + " changed paths"
                : "full sync";
        Long literal = in.getHeader(RsyncConstants.LITERAL_BYTES, Long.class);
        literalBytes.addAndGet(literal == null ? 0 : literal);
        Long first = in.getHeader(MergingQueue.FIRST_EVENT_AT, Long.class);
        String latency = first == null ? "" : ", latency " + (System.currentTimeMillis() - first) + " ms";
        LOG.info("batch to {}: {}, {} files sent, {} bytes, {} deleted{}", in.getHeader(MirrorHeaders.TARGET), what,
                in.getHeader(RsyncConstants.FILES_TRANSFERRED), in.getHeader(RsyncConstants.LITERAL_BYTES),
                in.getHeader(RsyncConstants.DELETED_FILES), latency);
    }

    /** File data sent as literal bytes by every batch so far, over all targets. */
    public long getLiteralBytes() {
        return literalBytes.get();
    }
}
