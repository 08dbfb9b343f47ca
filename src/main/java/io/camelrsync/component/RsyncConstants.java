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
    @Metadata(label = "producer", description = "Paths the target created or updated (content or attributes), as"
            + " rsync -i lists them: directories end with /, the top directory is ./.",
            javaType = "java.util.List<String>")
    public static final String UPDATED_PATHS = "CamelRsyncUpdatedPaths";
    @Metadata(label = "producer", description = "Paths the target deleted (--delete), as the daemon reported them.",
            javaType = "java.util.List<String>")
    public static final String DELETED_PATHS = "CamelRsyncDeletedPaths";

    private RsyncConstants() {
    }
}
