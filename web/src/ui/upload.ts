// Straight-to-storage uploads (presigned PUTs) with progress: fetch() cannot report upload progress, XHR can.
import { AppError, NETWORK } from "../api/errors";

export interface UploadTicket {
  url: string;
  headers: Record<string, string>;
}

/** PUTs `body` to the presigned URL with exactly the signed headers; `onProgress` gets 0..1. */
export function putToStorage(ticket: UploadTicket, body: Blob, onProgress: (fraction: number) => void, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", ticket.url);
    for (const [name, value] of Object.entries(ticket.headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve();
      } else {
        reject(new AppError({ kind: "refused", status: xhr.status, code: `storage_${xhr.status}`, field: null,
          message: `The upload was refused (${xhr.status}). Try again; if it keeps failing, start over.` }));
      }
    };
    xhr.onerror = () => reject(new AppError({ ...NETWORK, message: "The upload did not get through. Check your connection and try again." }));
    xhr.onabort = () => reject(new DOMException("aborted", "AbortError"));
    signal?.addEventListener("abort", () => xhr.abort());
    xhr.send(body);
  });
}

export async function sha256Hex(data: Blob): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await data.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Saves a downloaded blob under a file name (an <a download> on a blob: URL works for any origin's bytes). */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
