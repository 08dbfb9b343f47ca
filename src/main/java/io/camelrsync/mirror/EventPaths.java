package io.camelrsync.mirror;

import java.io.File;
import java.nio.file.Path;
import org.apache.camel.Exchange;
import org.apache.camel.component.file.watch.FileWatchConstants;

/**
 * Where a file-watch event happened, relative to the source. camel-file-watch's CamelFileRelativePath header turns
 * every backslash into a slash (its PathUtils.normalizeToString, made for Windows), which on Linux names another
 * file; the event's body, a File, keeps the name as the watcher reported it.
 */
final class EventPaths {
    private EventPaths() {
    }

    static String relative(Exchange event, Path source) {
        if (event.getIn().getBody() instanceof File f) {
            Path p = f.toPath().toAbsolutePath();
            if (p.startsWith(source)) {
                String r = source.relativize(p).toString();
                return r.isEmpty() ? "." : r;
            }
        }
        return event.getIn().getHeader(FileWatchConstants.FILE_RELATIVE_PATH, String.class);
    }
}
