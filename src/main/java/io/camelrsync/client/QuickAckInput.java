package io.camelrsync.client;

import java.io.FilterInputStream;
import java.io.IOException;
import java.net.Socket;
import jdk.net.ExtendedSocketOptions;

/**
 * A socket's input that acknowledges what it receives at once (Linux TCP_QUICKACK, which the kernel drops again
 * on its own, so it is set before every read). A stock daemon writes in small pieces without TCP_NODELAY: each
 * piece after the first waits behind Nagle for our ACK, and a delayed ACK costs 40 ms, several times a push.
 */
final class QuickAckInput extends FilterInputStream {
    private final Socket socket;
    private boolean supported = true;

    QuickAckInput(Socket socket) throws IOException {
        super(socket.getInputStream());
        this.socket = socket;
    }

    @Override
    public int read() throws IOException {
        quickAck();
        return super.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        quickAck();
        return super.read(b, off, len);
    }

    private void quickAck() {
        if (supported) {
            try {
                socket.setOption(ExtendedSocketOptions.TCP_QUICKACK, true);
            } catch (IOException | UnsupportedOperationException e) {
                supported = false; // not Linux: pushes are only slower
            }
        }
    }
}
