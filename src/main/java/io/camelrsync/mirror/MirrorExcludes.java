package io.camelrsync.mirror;

import io.camelrsync.filter.FilterRules;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;

/**
 * The exclude rules applied to events, with rsync's semantics (the same rules the push sends along): an event
 * for an excluded path, or for anything below an excluded directory, never starts a push.
 */
public class MirrorExcludes implements Predicate {
    private Path source;
    private String excludes = "";
    private String excludeFrom = "";
    private volatile FilterRules rules;

    /** The route's filter: a Predicate, so each of a burst's events costs a call, not a bean invocation. */
    @Override
    public boolean matches(Exchange event) {
        String rel = EventPaths.relative(event, source);
        return rel == null || accepts(rel);
    }

    /** False when {@code relative} or one of its parent directories is excluded. */
    public boolean accepts(String relative) {
        FilterRules r = rules();
        if (r.isEmpty()) {
            return true;
        }
        String[] parts = relative.split("/");
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].isEmpty() || parts[i].equals(".")) {
                continue;
            }
            if (prefix.length() > 0) {
                prefix.append('/');
            }
            prefix.append(parts[i]);
            boolean last = i == parts.length - 1;
            boolean dir = !last || Files.isDirectory(source.resolve(prefix.toString()), LinkOption.NOFOLLOW_LINKS);
            if (r.isExcluded(prefix.toString(), dir)) {
                return false;
            }
        }
        return true;
    }

    private FilterRules rules() {
        FilterRules r = rules;
        if (r == null) {
            r = FilterRules.empty();
            for (String p : excludes.split(",")) {
                if (!p.isBlank()) {
                    r = r.withExclude(p.strip());
                }
            }
            if (!excludeFrom.isBlank()) {
                try {
                    r = r.withExcludeFrom(Path.of(excludeFrom));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read the exclude file " + excludeFrom, e);
                }
            }
            rules = r;
        }
        return r;
    }

    public void setSource(String source) {
        this.source = Path.of(source).toAbsolutePath().normalize();
    }

    public String getSource() {
        return source == null ? null : source.toString();
    }

    /** rsync exclude patterns separated by commas. */
    public void setExcludes(String excludes) {
        this.excludes = excludes == null ? "" : excludes;
        rules = null;
    }

    public String getExcludes() {
        return excludes;
    }

    /** A file of exclude patterns, one a line (rsync --exclude-from); empty for none. */
    public void setExcludeFrom(String excludeFrom) {
        this.excludeFrom = excludeFrom == null ? "" : excludeFrom;
        rules = null;
    }

    public String getExcludeFrom() {
        return excludeFrom;
    }
}
