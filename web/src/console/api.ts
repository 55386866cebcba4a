// The console's calls, over the generated client (src/api/schema.d.ts). Every list is a page: items and `next`.
import { api, type Schemas, unwrap } from "../api/client";
import type { Paged } from "../ui/paging";

export type MyCarPark = Schemas["MyCarParkList"]["carparks"][number];
export type Invitation = Schemas["InvitationList"]["invitations"][number];
export type Occupancy = Schemas["OccupancyOut"];
export type Presence = Schemas["PresenceOut"];
export type Movement = Schemas["FeedMovementOut"];
export type Feed = Schemas["FeedOut"];
export type Override = Schemas["OverrideOut"];
export type OverrideForm = Schemas["OverrideIn"];
export type Alert = Schemas["AlertOut"];
export type Transactions = Schemas["TransactionList"];
export type Transaction = Schemas["TransactionOut"];
export type Report = Schemas["ReportOut"];
export type CsvExport = Schemas["CsvExportOut"];
export type Member = Schemas["MemberOut"];
export type MemberForm = Schemas["MemberIn"];
export type Listed = Schemas["ListedOut"];
export type ListedForm = Schemas["ListedIn"];
export type Settings = Schemas["SettingsOut"];
export type SettingsForm = Schemas["SettingsIn"];
export type AuditEntry = Schemas["AuditOut"];
export type Device = Schemas["DeviceOut"];
export type Staff = Schemas["StaffOut"];

const path = (carpark_id: string) => ({ path: { carpark_id } });
const key = () => crypto.randomUUID();

export async function myCarParks(signal: AbortSignal): Promise<MyCarPark[]> {
  return (await unwrap(api().GET("/me/carparks", { signal }))).carparks;
}

export async function myInvitations(signal: AbortSignal): Promise<Invitation[]> {
  return (await unwrap(api().GET("/me/staff-invitations", { signal }))).invitations;
}

export function answerInvitation(carpark_id: string, accept: boolean): Promise<Staff> {
  const params = { path: { carpark_id }, header: { "Idempotency-Key": key() } };
  return accept ? unwrap(api().POST("/me/staff-invitations/{carpark_id}/accept", { params }))
    : unwrap(api().POST("/me/staff-invitations/{carpark_id}/decline", { params }));
}

export function occupancy(cp: string, signal: AbortSignal): Promise<Occupancy> {
  return unwrap(api().GET("/carparks/{carpark_id}/occupancy", { params: path(cp), signal }));
}

export async function inside(cp: string, next: string | null, signal?: AbortSignal): Promise<Paged<Presence>> {
  const r = await unwrap(api().GET("/carparks/{carpark_id}/inside", { params: { ...path(cp), query: { limit: 50, next } }, signal }));
  return { items: r.inside, next: r.next };
}

export function poll(cp: string, since: string | null, signal?: AbortSignal): Promise<Feed> {
  return unwrap(api().GET("/carparks/{carpark_id}/feed", { params: { ...path(cp), query: { since, limit: 50 } }, signal }));
}

export function override(cp: string, form: OverrideForm): Promise<Override> {
  return unwrap(api().POST("/carparks/{carpark_id}/overrides", { params: { ...path(cp), header: { "Idempotency-Key": key() } }, body: form }));
}

export async function overrides(cp: string, next: string | null, signal?: AbortSignal): Promise<Paged<Override>> {
  const r = await unwrap(api().GET("/carparks/{carpark_id}/overrides", { params: { ...path(cp), query: { limit: 50, next } }, signal }));
  return { items: r.overrides, next: r.next };
}

export async function alerts(cp: string, state: "open" | "all", next: string | null, signal?: AbortSignal): Promise<Paged<Alert>> {
  const r = await unwrap(api().GET("/carparks/{carpark_id}/alerts", { params: { ...path(cp), query: { state, limit: 50, next } }, signal }));
  return { items: r.alerts, next: r.next };
}

export function acknowledge(cp: string, alert_id: string): Promise<Alert> {
  return unwrap(api().POST("/carparks/{carpark_id}/alerts/acknowledge", {
    params: { ...path(cp), header: { "Idempotency-Key": key() } }, body: { alert_id } }));
}

export function books(cp: string, from: string, to: string, next: string | null, signal?: AbortSignal): Promise<Transactions> {
  return unwrap(api().GET("/carparks/{carpark_id}/books", { params: { ...path(cp), query: { from, to, limit: 100, next } }, signal }));
}

export async function proof(cp: string, reservation_id: string): Promise<unknown> {
  return unwrap(api().GET("/carparks/{carpark_id}/stays/{reservation_id}/proof", { params: { path: { carpark_id: cp, reservation_id } } }));
}

export function report(cp: string, from: string, to: string, granularity: "day" | "week" | "month", signal: AbortSignal): Promise<Report> {
  return unwrap(api().GET("/carparks/{carpark_id}/report", { params: { ...path(cp), query: { from, to, granularity } }, signal }));
}

export function exportCsv(cp: string, body: Schemas["ExportIn"]): Promise<CsvExport> {
  return unwrap(api().POST("/carparks/{carpark_id}/exports", { params: { ...path(cp), header: { "Idempotency-Key": key() } }, body }));
}

export async function members(cp: string, expiring: boolean, next: string | null, signal?: AbortSignal): Promise<Paged<Member>> {
  const query = { limit: 50, next, ...(expiring ? { expiring_within_days: 14 } : {}) };
  const r = await unwrap(api().GET("/carparks/{carpark_id}/members", { params: { ...path(cp), query }, signal }));
  return { items: r.memberships, next: r.next };
}

export function addMember(cp: string, form: MemberForm): Promise<Member> {
  return unwrap(api().POST("/carparks/{carpark_id}/members", { params: { ...path(cp), header: { "Idempotency-Key": key() } }, body: form }));
}

export function renewMember(cp: string, membership_id: string): Promise<Member> {
  return unwrap(api().POST("/carparks/{carpark_id}/members/{membership_id}/renew", {
    params: { path: { carpark_id: cp, membership_id }, header: { "Idempotency-Key": key() } }, body: { plan: null } }));
}

export function endMember(cp: string, membership_id: string): Promise<Member> {
  return unwrap(api().POST("/carparks/{carpark_id}/members/{membership_id}/end", {
    params: { path: { carpark_id: cp, membership_id }, header: { "Idempotency-Key": key() } } }));
}

export async function listed(cp: string, next: string | null, signal?: AbortSignal): Promise<Paged<Listed>> {
  const r = await unwrap(api().GET("/carparks/{carpark_id}/plate-lists", { params: { ...path(cp), query: { limit: 100, next } }, signal }));
  return { items: r.entries, next: r.next };
}

export function addListed(cp: string, form: ListedForm): Promise<Listed> {
  return unwrap(api().POST("/carparks/{carpark_id}/plate-lists", { params: { ...path(cp), header: { "Idempotency-Key": key() } }, body: form }));
}

export function removeListed(cp: string, entry_id: string): Promise<Listed> {
  return unwrap(api().POST("/carparks/{carpark_id}/plate-lists/{entry_id}/remove", {
    params: { path: { carpark_id: cp, entry_id }, header: { "Idempotency-Key": key() } } }));
}

export function settings(cp: string, signal: AbortSignal): Promise<Settings> {
  return unwrap(api().GET("/carparks/{carpark_id}/settings", { params: path(cp), signal }));
}

export function saveSettings(cp: string, form: SettingsForm): Promise<Settings> {
  return unwrap(api().PUT("/carparks/{carpark_id}/settings", { params: path(cp), body: form }));
}

export async function audit(cp: string, next: string | null, signal?: AbortSignal): Promise<Paged<AuditEntry>> {
  const r = await unwrap(api().GET("/carparks/{carpark_id}/audit", { params: { ...path(cp), query: { limit: 100, next } }, signal }));
  return { items: r.entries, next: r.next };
}

export async function devices(cp: string, signal: AbortSignal): Promise<Device[]> {
  return (await unwrap(api().GET("/carparks/{carpark_id}/devices", { params: path(cp), signal }))).devices;
}

export function registerDevice(cp: string, name: string): Promise<Device> {
  return unwrap(api().POST("/carparks/{carpark_id}/devices", { params: { ...path(cp), header: { "Idempotency-Key": key() } }, body: { name, mqtt: false } }));
}

export function rotateDevice(cp: string, device_id: string): Promise<Device> {
  return unwrap(api().POST("/carparks/{carpark_id}/devices/{device_id}/rotate", {
    params: { path: { carpark_id: cp, device_id }, header: { "Idempotency-Key": key() } } }));
}

export function revokeDevice(cp: string, device_id: string): Promise<Device> {
  return unwrap(api().POST("/carparks/{carpark_id}/devices/{device_id}/revoke", {
    params: { path: { carpark_id: cp, device_id }, header: { "Idempotency-Key": key() } } }));
}

export async function staff(cp: string, signal: AbortSignal): Promise<Staff[]> {
  return (await unwrap(api().GET("/carparks/{carpark_id}/staff", { params: path(cp), signal }))).staff;
}

export function invite(cp: string, email: string, role: "staff" | "owner"): Promise<Staff> {
  return unwrap(api().POST("/carparks/{carpark_id}/staff", { params: { ...path(cp), header: { "Idempotency-Key": key() } }, body: { email, user_id: null, role } }));
}

export function removeStaff(cp: string, user_id: string): Promise<Staff> {
  return unwrap(api().POST("/carparks/{carpark_id}/staff/{user_id}/remove", {
    params: { path: { carpark_id: cp, user_id }, header: { "Idempotency-Key": key() } } }));
}
