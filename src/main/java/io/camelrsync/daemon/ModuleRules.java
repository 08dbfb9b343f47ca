package io.camelrsync.daemon;

import io.camelrsync.daemonconf.ModuleConf;
import io.camelrsync.filter.FilterRules;
import java.io.IOException;
import java.nio.file.Path;

/** A module's own filter rules, by path below the module: what they exclude is neither sent nor received. */
final class ModuleRules {
    private final FilterRules daemonFilters;

    private ModuleRules(FilterRules daemonFilters) {
        this.daemonFilters = daemonFilters;
    }

    /** The module's own rules (clientserver.c: filter, include from, include, exclude from, exclude). */
    static ModuleRules of(ModuleConf module) throws IOException {
        FilterRules rules = FilterRules.empty().withDaemonWords(module.filter(), "filter");
        String includeFrom = module.string("include from", null);
        if (includeFrom != null && !includeFrom.isBlank()) {
            rules = rules.withIncludeFrom(Path.of(includeFrom.strip()));
        }
        rules = rules.withDaemonWords(module.string("include", null), "include");
        String excludeFrom = module.string("exclude from", null);
        if (excludeFrom != null && !excludeFrom.isBlank()) {
            rules = rules.withExcludeFrom(Path.of(excludeFrom.strip()));
        }
        return new ModuleRules(rules.withDaemonWords(module.exclude(), "exclude"));
    }

    /** Whether the module's rules exclude the path or one of its parent directories (rsync's DIR2WILD3). */
    boolean refuses(String path, boolean isDir) {
        if (daemonFilters.isEmpty() || path.equals(".")) {
            return false;
        }
        if (daemonFilters.isExcluded(path, isDir)) {
            return true;
        }
        for (int slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
            if (daemonFilters.isExcluded(path.substring(0, slash), true)) {
                return true;
            }
        }
        return false;
    }
}
