package io.camelrsync.mirror;

import io.camelrsync.component.RsyncConstants;
import io.camelrsync.flist.ChangeSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Header;

/**
 * Relays: the syncs whose source is a module of the mirror's own daemon. The daemon route hands each push into
 * such a module to its sync's relay route ({@link #routeOf}), which turns what the push changed into the change
 * set its targets get ({@link #changeSet}).
 */
public class MirrorRelays {
    /** Module name to sync name. */
    private final Map<String, String> syncs = new LinkedHashMap<>();

    /** The relay route of the sync that relays this module, or null (no recipient) when none does. */
    public String routeOf(@Header(RsyncConstants.MODULE) String module) {
        String sync = module == null ? null : syncs.get(module);
        return sync == null ? null : "direct:mirror-relay-" + sync;
    }

    /**
     * What a push into the module changed, as a change set of the module's tree: each path it updated or deleted
     * (a directory as its own entry, not its subtree); a full sync when the push changed more than the daemon kept
     * names of. The module's own directory is left out: the targets' pushes set its attributes anyway.
     */
    public static ChangeSet changeSet(@Header(RsyncConstants.UPDATED_PATHS) List<String> updated,
                                      @Header(RsyncConstants.DELETED_PATHS) List<String> deleted,
                                      @Header(RsyncConstants.PATHS_COMPLETE) Boolean complete) {
        if (Boolean.FALSE.equals(complete)) {
            return ChangeSets.fullSync();
        }
        ChangeSet.Builder b = ChangeSet.builder(); // no lists: a session that failed before it received anything
        for (List<String> paths : java.util.Arrays.asList(updated, deleted)) {
            if (paths == null) {
                continue;
            }
            for (String p : paths) {
                String entry = p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
                if (!entry.isEmpty() && !entry.equals(".")) {
                    b.add(entry);
                }
            }
        }
        return b.build();
    }

    /** mirror.relay-modules: "module=sync" pairs separated by commas (MirrorSyncs writes it). */
    public void setModules(String modules) {
        syncs.clear();
        for (String pair : modules.split(",")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                syncs.put(pair.substring(0, eq).strip(), pair.substring(eq + 1).strip());
            }
        }
    }
}
