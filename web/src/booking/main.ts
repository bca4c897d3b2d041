// Entry of the booking page (book.html).
import './booking-app';
