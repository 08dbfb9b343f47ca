package io.camelrsync.mirror;

import io.camelrsync.component.RsyncConstants;
import io.camelrsync.flist.ChangeSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.seda.SedaEndpoint;
import org.apache.camel.util.TimeUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The verify of routes/mirror.camel.yaml: every mirror.verify-interval each target gets a full sync (rsync's quick
 * check, as the start-up sync), and what it had to fix is reported as what the mirror had let go out of date: one
 * WARN line naming the paths, or one INFO line when the target was up to date. Fixes the mirror already knew
 * about are not findings: changes that merged into the verify while it waited in the queue or wait there now, and
 * paths that changed on the source so recently that their own change set may still have been on its way.
 */
public class VerifyReport {
    private static final Logger LOG = LoggerFactory.getLogger(VerifyReport.class);
    /** Paths a WARN line names before "and N more". */
    static final int LISTED = 20;
    /** Beyond the batching bound: the thread handing a completed batch over may lag that much. */
    private static final long HANDOVER_SLACK_MILLIS = 1000;

    private static final Pattern DURATION = Pattern.compile("\\d+|(\\d+(ms|s|m|h|d))+");

    private Path source;
    private long intervalMillis = 3_600_000;
    private long maxAgeMillis = 1000;

    /** The filter of the verify timer: 0 turns verifying off (the timer then fires once, at start-up). */
    public boolean isEnabled() {
        return intervalMillis > 0;
    }

    /** The step after a verify's push. */
    public void report(Exchange exchange) {
        Message in = exchange.getIn();
        String target = in.getHeader(MirrorHeaders.TARGET, String.class);
        long elapsed = in.getHeader(RsyncConstants.ELAPSED_MILLIS, 0L, Long.class);
        // A change made after this instant may have been in a batch still on its way when the verify left the queue
        long cutoff = System.currentTimeMillis() - elapsed - maxAgeMillis - HANDOVER_SLACK_MILLIS;
        Known known = new Known(in.getHeader(MirrorHeaders.VERIFY_KNOWN, ChangeSet.class));
        // what waits in the queue now (e.g. arrived while the verify was redelivered to a target that was down)
        Exchange waiting = exchange.getFromEndpoint() instanceof SedaEndpoint queue ? queue.getQueue().peek() : null;
        if (waiting != null) {
            known.add(waiting.getIn().getBody() instanceof ChangeSet cs ? cs : ChangeSets.fullSync());
            known.add(waiting.getIn().getHeader(MirrorHeaders.VERIFY_KNOWN, ChangeSet.class));
        }
        List<String[]> outOfDate = new ArrayList<>(); // {path, text}
        int expected = 0;
        int recent = 0;
        for (int pass = 0; pass < 2; pass++) {
            boolean deletions = pass == 1;
            List<?> paths = in.getHeader(deletions ? RsyncConstants.DELETED_PATHS : RsyncConstants.UPDATED_PATHS,
                    List.class);
            for (Object o : paths == null ? List.of() : paths) {
                String shown = String.valueOf(o);
                String rel = relative(shown);
                if (rel.equals(".")) {
                    continue; // the top directory's own line: its times follow every change in it
                } else if (known.covers(rel)) {
                    expected++;
                } else if (changedSince(rel, cutoff)) {
                    recent++;
                } else {
                    outOfDate.add(new String[] {rel, deletions ? "deleted " + shown : shown});
                }
            }
        }
        String also = (expected == 0 ? "" : "; " + paths(expected) + " of pending change sets went with it")
                + (recent == 0 ? "" : "; " + paths(recent) + " changed while it ran");
        if (outOfDate.isEmpty()) {
            LOG.info("verify: {} is up to date ({} files checked in {} ms{})", target,
                    in.getHeader(RsyncConstants.FILES), elapsed, also);
            return;
        }
        outOfDate.sort(Comparator.comparing(p -> p[0]));
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < outOfDate.size() && i < LISTED; i++) {
            list.append(i == 0 ? "" : ", ").append(outOfDate.get(i)[1]);
        }
        if (outOfDate.size() > LISTED) {
            list.append(" and ").append(outOfDate.size() - LISTED).append(" more");
        }
        int n = outOfDate.size();
        in.setHeader(MirrorHeaders.VERIFY_FIXED, n);
        LOG.warn("verify: {} {} out of date on {}: {} (fixed{})", n, n == 1 ? "path was" : "paths were", target,
                list, also);
    }

    private static String paths(int n) {
        return n + (n == 1 ? " path" : " paths");
    }

    private static String relative(String shown) {
        try {
            return ChangeSet.normalize(shown);
        } catch (IllegalArgumentException notAPathOfOurs) {
            return shown;
        }
    }

    /**
     * True when the path (or, when gone, the directory it was deleted from) changed on the source at or after
     * {@code cutoff}: the mirror may have seen that change and not pushed it yet.
     */
    private boolean changedSince(String rel, long cutoff) {
        for (Path p = source.resolve(rel); p != null && p.startsWith(source); p = p.getParent()) {
            try {
                FileTime ctime = (FileTime) Files.getAttribute(p, "unix:ctime", LinkOption.NOFOLLOW_LINKS);
                return ctime.toMillis() >= cutoff;
            } catch (IOException gone) {
                // deleted on the source: its directory changed when it went
            }
        }
        return true; // nothing left to judge by: no claim that the mirror missed it
    }

    /**
     * Changes the mirror knows of: a fix of one of them, below one, or of a directory above one is expected. A
     * full sync among them (".") makes every fix expected: nothing tells a missed change from it.
     */
    private static final class Known {
        private final Set<String> entries = new HashSet<>();
        private final Set<String> ancestors = new HashSet<>();

        Known(ChangeSet known) {
            add(known);
        }

        void add(ChangeSet known) {
            if (known == null) {
                return;
            }
            for (String e : known.toLines()) {
                String rel = relative(e);
                entries.add(rel);
                for (int slash = rel.lastIndexOf('/'); slash > 0; slash = rel.lastIndexOf('/', slash - 1)) {
                    ancestors.add(rel.substring(0, slash));
                }
            }
        }

        boolean covers(String rel) {
            if (entries.contains(".") || ancestors.contains(rel)) {
                return true;
            }
            for (String p = rel; ; p = p.substring(0, p.lastIndexOf('/'))) {
                if (entries.contains(p)) {
                    return true;
                }
                if (p.indexOf('/') < 0) {
                    return false;
                }
            }
        }
    }

    public void setSource(String source) {
        this.source = Path.of(source).toAbsolutePath().normalize();
    }

    public String getSource() {
        return source == null ? null : source.toString();
    }

    /** How often each target is verified: a Camel duration (1h, 30m, 90s; a plain number is milliseconds). */
    public void setInterval(String interval) {
        this.intervalMillis = intervalMillis(interval);
    }

    /** Milliseconds of a duration as Camel's timer reads it; refuses what it would silently read as 0. */
    public static long intervalMillis(String interval) {
        String d = interval == null ? "" : interval.strip();
        if (!DURATION.matcher(d).matches()) {
            throw new IllegalArgumentException("mirror.verify-interval must be a duration such as 1h, 30m, 90s,"
                    + " 1h30m or milliseconds, or 0 for off; was '" + interval + "'");
        }
        return TimeUtils.toMilliSeconds(d);
    }

    public long getIntervalMillis() {
        return intervalMillis;
    }

    /** mirror.max-age-ms: how long a change can wait in a batch before it is handed to the targets' queues. */
    public void setMaxAgeMillis(long maxAgeMillis) {
        this.maxAgeMillis = maxAgeMillis;
    }

    public long getMaxAgeMillis() {
        return maxAgeMillis;
    }
}
