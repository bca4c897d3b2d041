// What the public practice endpoint answers, and how it is shown.
import { lang } from '../shared/i18n';

export interface AppointmentType {
  id: string;
  name: string;
  name_en: string;
  duration_minutes: number;
  new_patients: boolean;
  existing_patients: boolean;
  insurance_kinds: string[];
  practitioners: string[];
}

export interface PracticeInfo {
  slug: string;
  name: string;
  address: { street?: string; postcode?: string; city?: string };
  proof_of_work: boolean;
  appointment_types: AppointmentType[];
  practitioners: { id: string; display_name: string }[];
}

export function typeName(type: { name: string; name_en: string }): string {
  return lang() === 'de' ? type.name : type.name_en || type.name;
}

export function practiceAddress(p: PracticeInfo['address']): string {
  return [p.street, [p.postcode, p.city].filter(Boolean).join(' ')].filter(Boolean).join(', ');
}

// Practitioner id → display name.
export function practitionerNames(practice: PracticeInfo | undefined): Record<string, string> {
  return Object.fromEntries((practice?.practitioners ?? []).map((p) => [p.id, p.display_name]));
}
