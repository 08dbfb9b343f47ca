package io.camelrsync.sender;

import io.camelrsync.protocol.WireInput;
import java.io.IOException;
import java.util.Arrays;

/** The generator's per-block weak and strong sums for one file, indexed by weak sum for the search. */
public final class BlockSums {
    final SumHead head;
    final int[] weak;
    final byte[] strong; // count * strongLength
    private final int[] bucket;
    private final int[] next;
    private final int mask;

    private BlockSums(SumHead head, int[] weak, byte[] strong) {
        this.head = head;
        this.weak = weak;
        this.strong = strong;
        int size = Integer.highestOneBit(Math.max(16, head.count() * 2 - 1)) << 1;
        this.mask = size - 1;
        this.bucket = new int[size];
        this.next = new int[head.count()];
        Arrays.fill(bucket, -1);
        // Insert in reverse so each chain lists blocks in ascending order, as rsync prefers the earliest.
        for (int i = head.count() - 1; i >= 0; i--) {
            int h = hash(weak[i]);
            next[i] = bucket[h];
            bucket[h] = i;
        }
    }

    public static BlockSums read(WireInput in, SumHead head) throws IOException {
        int n = head.count();
        int s2 = head.strongLength();
        // memory follows the bytes that actually arrive, not the count a peer announces
        int cap = Math.min(n, 1 << 16);
        int[] weak = new int[cap];
        byte[] strong = new byte[cap * s2];
        for (int i = 0; i < n; i++) {
            if (i == weak.length) {
                cap = (int) Math.min(n, 2L * cap);
                weak = Arrays.copyOf(weak, cap);
                strong = Arrays.copyOf(strong, cap * s2);
            }
            weak[i] = in.readInt();
            in.readFully(strong, i * s2, s2);
        }
        return new BlockSums(head, weak, strong);
    }

    private int hash(int sum) {
        int h = sum ^ (sum >>> 16) * 0x9E3779B1;
        return (h ^ (h >>> 15)) & mask;
    }

    /** First block whose weak sum is {@code sum}, or -1. */
    int first(int sum) {
        int i = bucket[hash(sum)];
        while (i >= 0 && weak[i] != sum) {
            i = next[i];
        }
        return i;
    }

    /** Next block after {@code i} in the same chain with weak sum {@code sum}, or -1. */
    int nextWithSum(int i, int sum) {
        i = next[i];
        while (i >= 0 && weak[i] != sum) {
            i = next[i];
        }
        return i;
    }

    boolean strongEquals(int i, byte[] sum) {
        int s2 = head.strongLength();
        return Arrays.equals(strong, i * s2, i * s2 + s2, sum, 0, s2);
    }
}
