package io.camelrsync.protocol;

/** Receives the out-of-band messages a peer multiplexes into the stream. */
public interface MessageListener {
    /** INFO, WARNING, ERROR or ERROR_XFER text, as the peer wrote it (usually ending in a newline). */
    void onText(int code, String text);

    /** MSG_DELETED: the receiver deleted this path (directories end with a slash). */
    default void onDeleted(String path) {
    }

    /** MSG_NO_SEND: the sender could not open this file and sends nothing for it (io.c: the generator notes it). */
    default void onNoSend(int ndx) {
    }
}
