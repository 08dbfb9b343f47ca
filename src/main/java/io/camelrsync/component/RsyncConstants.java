package io.camelrsync.component;

import org.apache.camel.spi.Metadata;

/** Message headers of the rsync component. */
public final class RsyncConstants {
    @Metadata(label = "producer", description = "A change set to push instead of the body: relative paths, one a"
            + " line or as a collection; a trailing / sends a whole subtree; a path that no longer exists is deleted"
            + " on the target.", javaType = "Object")
    public static final String CHANGE_SET = "CamelRsyncChangeSet";
    @Metadata(label = "consumer", description = "The module a client pushed to.", javaType = "String")
    public static final String MODULE = "CamelRsyncModule";
    @Metadata(label = "consumer", description = "The user who logged in, for modules with auth users.",
            javaType = "String")
    public static final String USER = "CamelRsyncUser";
    @Metadata(label = "consumer", description = "The client's address.", javaType = "String")
    public static final String PEER = "CamelRsyncPeer";
    @Metadata(description = "Entries in the file list that was sent.", javaType = "int")
    public static final String FILES = "CamelRsyncFiles";
    @Metadata(description = "Regular files whose content was sent.", javaType = "int")
    public static final String FILES_TRANSFERRED = "CamelRsyncFilesTransferred";
    @Metadata(description = "Bytes sent literally (not matched against the target's copy).", javaType = "long")
    public static final String LITERAL_BYTES = "CamelRsyncLiteralBytes";
    @Metadata(description = "Bytes the target rebuilt from blocks it already had.", javaType = "long")
    public static final String MATCHED_BYTES = "CamelRsyncMatchedBytes";
    @Metadata(description = "Paths the daemon deleted.", javaType = "int")
    public static final String DELETED_FILES = "CamelRsyncDeletedFiles";
    @Metadata(label = "producer", description = "Bytes put on the wire, protocol overhead included.",
            javaType = "long")
    public static final String BYTES_SENT = "CamelRsyncBytesSent";
    @Metadata(label = "producer", description = "Wall time of the push in milliseconds.", javaType = "long")
    public static final String ELAPSED_MILLIS = "CamelRsyncElapsedMillis";
    @Metadata(label = "producer", description = "rsync's exit code: 0, or 23/24 when some files could not be sent"
            + " or vanished (other failures throw).", javaType = "int")
    public static final String EXIT_CODE = "CamelRsyncExitCode";
    @Metadata(description = "Paths the target (producer) or the daemon (consumer: relative to the module's path)"
            + " created or updated, content or attributes, as rsync -i lists them: directories end with /, the top"
            + " directory is ./.", javaType = "java.util.List<String>")
    public static final String UPDATED_PATHS = "CamelRsyncUpdatedPaths";
    @Metadata(description = "Paths the target (producer) or the daemon (consumer: relative to the module's path)"
            + " deleted (--delete).", javaType = "java.util.List<String>")
    public static final String DELETED_PATHS = "CamelRsyncDeletedPaths";
    @Metadata(label = "consumer", description = "False when the push changed more paths than the daemon keeps names"
            + " of (8 Mi characters): both path headers are then empty, and only a full sync can tell what changed.",
            javaType = "boolean")
    public static final String PATHS_COMPLETE = "CamelRsyncPathsComplete";

    private RsyncConstants() {
    }
}
