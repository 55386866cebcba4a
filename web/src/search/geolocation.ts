// The browser's position, with a reason a person can act on when there is none.

export type Position = { ok: true; lat: number; lng: number } | { ok: false; reason: string };

export function currentPosition(timeoutMs = 10_000): Promise<Position> {
  if (!("geolocation" in navigator)) {
    return Promise.resolve({ ok: false, reason: "This browser cannot tell your position. Type a destination instead." });
  }
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ ok: true, lat: Number(p.coords.latitude.toFixed(5)), lng: Number(p.coords.longitude.toFixed(5)) }),
      (error) => resolve({
        ok: false,
        reason: error.code === error.PERMISSION_DENIED
          ? "Location is not allowed for CarParker. Type a destination instead, or allow location in your browser's settings."
          : "We could not find your position just now. Type a destination instead, or try again.",
      }),
      { enableHighAccuracy: false, timeout: timeoutMs, maximumAge: 60_000 },
    );
  });
}
