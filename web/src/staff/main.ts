// Entry of the staff app (app.html).
import './staff-app';
