// The practice configuration and patients as the staff API answers them.

// A practitioner, room or device (GET /api/v1/practitioners, /api/v1/resources).
export interface ConfigItem {
  id: string;
  name: string;
  active: boolean;
}

export interface AppointmentType {
  id: string;
  name_de: string;
  name_en: string;
  duration_minutes: number;
  buffer_before_minutes: number;
  buffer_after_minutes: number;
  practitioners: string[];
  resources: string[];
  online_bookable: boolean;
  new_patients: boolean;
  existing_patients: boolean;
  instructions_de: string;
  instructions_en: string;
  active: boolean;
  version: number;
}

// One line of a patient search.
export interface PatientHit {
  id: string;
  family_name: string;
  given_names: string;
  birth_date: string;
  status: string;
}
