package io.camelrsync.component;

import io.camelrsync.client.PushListener;
import io.camelrsync.client.PullSession;
import io.camelrsync.client.PushSession;
import io.camelrsync.client.TransferStats;
import io.camelrsync.flist.ChangeSet;
import io.camelrsync.flist.FileEntry;
import io.camelrsync.fs.Names;
import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.MessageCode;
import io.camelrsync.protocol.RsyncException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.support.DefaultProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes the endpoint's source directory: the whole tree for an empty body, else the change set in the body
 * (or the CamelRsyncChangeSet header). Transfer statistics and the paths changed on the target come back as
 * headers; a failed push throws an RsyncTargetException when the target or the network failed (a route's error
 * handler redelivers those), else a plain RsyncException.
 */
public class RsyncProducer extends DefaultProducer {
    private static final Logger LOG = LoggerFactory.getLogger(RsyncProducer.class);

    public RsyncProducer(RsyncEndpoint endpoint) {
        super(endpoint);
    }

    @Override
    public RsyncEndpoint getEndpoint() {
        return (RsyncEndpoint) super.getEndpoint();
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        RsyncEndpoint ep = getEndpoint();
        Message in = exchange.getIn();
        Object spec = in.getHeader(RsyncConstants.CHANGE_SET);
        if (spec == null) {
            spec = in.getBody();
        }
        ChangeSet changes = ep.isPull() ? null : toChangeSet(spec);
        TransferStats stats;
        LogListener listener = new LogListener(ep);
        synchronized (ep.pushLock()) {
            try {
                stats = ep.isPull()
                        ? new PullSession(ep.target(), Path.of(ep.getSource()), ep.pushOptions(), listener).run()
                        : new PushSession(Path.of(ep.getSource()), true, ep.target(), ep.pushOptions(), changes,
                        listener).run();
            } catch (IOException e) {
                throw failure(ep, e, listener.errors);
            }
        }
        if (stats.basisRefused) {
            ep.basisRefused();
            LOG.info("{} refuses --link-dest/--fuzzy: moved paths are sent whole to it", ep.target());
        }
        in.setHeader(RsyncConstants.FILES, stats.files);
        in.setHeader(RsyncConstants.FILES_TRANSFERRED, stats.transferredFiles);
        in.setHeader(RsyncConstants.LITERAL_BYTES, stats.literalBytes);
        in.setHeader(RsyncConstants.MATCHED_BYTES, stats.matchedBytes);
        in.setHeader(RsyncConstants.DELETED_FILES, stats.deletedFiles);
        in.setHeader(RsyncConstants.BYTES_SENT, stats.bytesSent);
        in.setHeader(RsyncConstants.ELAPSED_MILLIS, stats.elapsedMillis);
        in.setHeader(RsyncConstants.EXIT_CODE, stats.exitCode);
        in.setHeader(RsyncConstants.UPDATED_PATHS, listener.updated);
        in.setHeader(RsyncConstants.DELETED_PATHS, listener.deleted);
        LOG.info("{} {} {} {}: {} files sent, {} literal bytes, {} matched, {} deleted in {} ms{}",
                ep.isPull() ? "pulled" : "pushed",
                changes == null ? "tree " + ep.getSource() : changes.size() + " changed paths",
                ep.isPull() ? "from" : "to", ep.target(),
                stats.transferredFiles, stats.literalBytes, stats.matchedBytes, stats.deletedFiles,
                stats.elapsedMillis, stats.exitCode == 0 ? "" : " (rsync exit code " + stats.exitCode + ")");
    }

    /**
     * The failure as a route sees it: a target or network failure (see {@link RsyncTargetException}) is worth
     * redelivering as it is; anything else would fail again the same way. Local I/O errors pass unchanged.
     */
    static IOException failure(RsyncEndpoint ep, IOException e, List<String> daemonErrors) {
        if (e instanceof RsyncException r) {
            // the daemon's last error is rsync's summary line; its first says why (e.g. the option it refuses)
            String why = r.shownToUser() && daemonErrors.size() > 1
                    ? daemonErrors.get(0) + "; " + daemonErrors.get(daemonErrors.size() - 1) : r.getMessage();
            String text = "rsync " + (ep.isPull() ? "pull from " : "push to ") + ep.target() + " failed (exit code "
                    + r.exitCode() + "): " + why;
            return RsyncTargetException.isTargetFailure(r.exitCode())
                    ? new RsyncTargetException(r.exitCode(), text, r) : new RsyncException(r.exitCode(), text, r);
        }
        if (RsyncTargetException.isNetworkFailure(e)) {
            return new RsyncTargetException(ExitCode.SOCKET_IO, "rsync push to " + ep.target() + " failed (exit"
                    + " code " + ExitCode.SOCKET_IO + "): " + e, e);
        }
        return e;
    }

    /** null, an empty body or an empty string means the whole tree. */
    static ChangeSet toChangeSet(Object body) {
        if (body == null) {
            return null;
        }
        if (body instanceof ChangeSet cs) {
            return cs;
        }
        List<String> paths;
        if (body instanceof Collection<?> c) {
            paths = c.stream().map(String::valueOf).toList();
        } else if (body instanceof String[] a) {
            paths = Arrays.asList(a);
        } else if (body instanceof byte[] b) {
            paths = lines(new String(b, java.nio.charset.StandardCharsets.UTF_8));
        } else {
            paths = lines(body.toString());
        }
        List<String> nonBlank = paths.stream().filter(p -> !p.isBlank()).toList();
        return nonBlank.isEmpty() ? null : ChangeSet.of(nonBlank);
    }

    private static List<String> lines(String s) {
        return s.lines().map(l -> l.endsWith("\r") ? l.substring(0, l.length() - 1) : l).toList();
    }

    /** Daemon messages and deletions go to the log, like the rsync client's output. */
    private static final class LogListener implements PushListener {
        private final RsyncEndpoint ep;
        /** The CamelRsyncUpdatedPaths and CamelRsyncDeletedPaths headers (callbacks come from one thread each). */
        final List<String> updated = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        final List<String> deleted = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        /** The daemon's error lines, for the exception's text. */
        final List<String> errors = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

        LogListener(RsyncEndpoint ep) {
            this.ep = ep;
        }

        @Override
        public void motd(String line) {
            LOG.debug("{} motd: {}", ep.getHost(), line);
        }

        @Override
        public void message(int code, String text) {
            String t = text.strip();
            if (code == MessageCode.INFO) {
                LOG.info("{}: {}", ep.getHost(), t);
            } else if (code == MessageCode.WARNING) {
                LOG.warn("{}: {}", ep.getHost(), t);
            } else {
                errors.add(t);
                LOG.error("{}: {}", ep.getHost(), t);
            }
        }

        @Override
        public void deleted(String path) {
            deleted.add(path);
            LOG.info("{}: deleting {}", ep.target(), Names.printable(path));
        }

        /** One line per path sent, as the rsync -v of the classic inotifywait loop prints it. */
        @Override
        public void itemized(FileEntry entry, int iflags) {
            String path = entry.path.isEmpty() || entry.path.equals(".") ? "./" : entry.isDirectory()
                    ? entry.path + "/" : entry.path;
            updated.add(path);
            LOG.info("{}: {}", ep.target(), Names.printable(path)); // bytes that are not UTF-8 as \\xNN
        }
    }
}
