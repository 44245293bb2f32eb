package org.mailcluster.transport.grpc;

import com.google.protobuf.ByteString;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.function.Consumer;
import org.mailcluster.ClusterException;
import org.mailcluster.transport.ReplicationMessage;
import org.mailcluster.transport.ServerStream;
import org.mailcluster.transport.grpc.v1.Fragment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sending side of one replication stream on a gRPC server call. gRPC's call object is not
 * thread-safe, so every use of it is synchronized here; the node's callbacks run outside the lock.
 * A message larger than the fragment size travels as {@link Fragment}s.
 */
final class GrpcServerStream implements ServerStream<ReplicationMessage> {
  private static final Logger log = LoggerFactory.getLogger(GrpcServerStream.class);

  private final ServerCallStreamObserver<org.mailcluster.transport.grpc.v1.ReplicationMessage> call;
  private final int fragmentSize;
  private final Consumer<GrpcServerStream> onEnd;
  private volatile Runnable onReady = () -> {};
  private volatile Runnable onCancel = () -> {};
  private boolean ended; // guarded by this

  /** Must be created inside the service method: gRPC takes handlers only until it returns. */
  GrpcServerStream(
      ServerCallStreamObserver<org.mailcluster.transport.grpc.v1.ReplicationMessage> call,
      int fragmentSize,
      Consumer<GrpcServerStream> onEnd) {
    this.call = call;
    this.fragmentSize = fragmentSize;
    this.onEnd = onEnd;
    call.setOnReadyHandler(() -> run(onReady, "ready"));
    call.setOnCancelHandler(
        () -> {
          synchronized (this) {
            ended = true;
          }
          onEnd.accept(this);
          run(onCancel, "cancel");
        });
  }

  @Override
  public boolean isReady() {
    synchronized (this) {
      return !ended && call.isReady();
    }
  }

  @Override
  public synchronized void send(ReplicationMessage message) {
    if (ended) {
      return;
    }
    org.mailcluster.transport.grpc.v1.ReplicationMessage encoded = Wire.encode(message);
    if (encoded.getSerializedSize() <= fragmentSize) {
      call.onNext(encoded);
      return;
    }
    ByteString bytes = encoded.toByteString();
    for (int at = 0; at < bytes.size(); at += fragmentSize) {
      int end = Math.min(bytes.size(), at + fragmentSize);
      call.onNext(
          org.mailcluster.transport.grpc.v1.ReplicationMessage.newBuilder()
              .setFragment(
                  Fragment.newBuilder()
                      .setData(bytes.substring(at, end))
                      .setLast(end == bytes.size()))
              .build());
    }
  }

  @Override
  public void complete() {
    synchronized (this) {
      if (ended) {
        return;
      }
      ended = true;
      call.onCompleted();
    }
    onEnd.accept(this);
  }

  @Override
  public void fail(ClusterException error) {
    synchronized (this) {
      if (ended) {
        return;
      }
      ended = true;
      call.onError(Wire.toStatus(error));
    }
    onEnd.accept(this);
  }

  @Override
  public void setOnReady(Runnable onReady) {
    this.onReady = java.util.Objects.requireNonNull(onReady, "onReady");
  }

  @Override
  public void setOnCancel(Runnable onCancel) {
    this.onCancel = java.util.Objects.requireNonNull(onCancel, "onCancel");
  }

  private static void run(Runnable callback, String what) {
    try {
      callback.run();
    } catch (RuntimeException e) {
      log.error("a stream's {} callback threw; the stream goes on", what, e);
    }
  }
}
