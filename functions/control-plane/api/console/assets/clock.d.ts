// Types of clock.js for the CLI (TypeScript); the browser loads clock.js itself.
export function formatClock(instant: string | number | Date, timeZone: string | undefined): string;
export function formatUtc(instant: string | number | Date): string;
export function offsetOf(instant: string | number | Date, timeZone: string | undefined): string;
export function formatMinutes(minutes: number | undefined | null): string;
