/**
 * Reads an HTTP request body up to a size limit. A larger body is refused with the error
 * `tooLarge` makes (each server answers it its own way) and the connection is dropped, so an
 * oversized upload is never buffered whole.
 */
import type http from 'node:http';

export function readBody(req: http.IncomingMessage, maxBytes: number, tooLarge: (message: string) => Error): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        reject(tooLarge(`body larger than ${maxBytes} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
