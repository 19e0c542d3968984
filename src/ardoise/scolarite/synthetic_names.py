"""Name lists of the synthetic registry: frequent French surnames and given names first
(weights fall with rank), then accented, hyphenated, particle, apostrophe, ligature and
rare ones. No list comes from real pupils."""

from __future__ import annotations

SURNAMES: tuple[str, ...] = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois",
    "Moreau", "Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand",
    "Morel", "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau",
    "Vincent", "Muller", "Lefebvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer",
    "Garnier", "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin",
    "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson",
    "Marchand", "Duval", "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour",
    "Meunier", "Brun", "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet",
    "Gaillard", "Barbier", "Arnaud", "Martinez", "Gérard", "Roche", "Renard", "Schmitt",
    "Roy", "Leroux", "Colin", "Vidal", "Caron", "Picard", "Roger", "Fabre", "Aubert",
    "Lemoine", "Renaud", "Dumas", "Lacroix", "Olivier", "Philippe", "Bourgeois", "Pierre",
    "Benoît", "Rey", "Leclerc", "Payet", "Rolland", "Leclercq", "Guillaume", "Lecomte",
    "Lopez", "Jean", "Dupuy", "Guillot", "Hubert", "Berger", "Carpentier", "Sanchez",
    "Dupuis", "Moulin", "Louis", "Deschamps", "Huet", "Vasseur", "Perez", "Boucher",
    "Fleury", "Royer", "Klein", "Jacquet", "Adam", "Paris", "Poirier", "Marty", "Aubry",
    "Guyot", "Carré", "Charles", "Renault", "Charpentier", "Ménard", "Maillard", "Baron",
    "Bertin", "Bailly", "Hervé", "Schneider", "Fernandez", "Le Gall", "Collet", "Léger",
    "Bouvier", "Julien", "Prévost", "Millet", "Perrot", "Daniel", "Le Roux", "Cousin",
    "Germain", "Breton", "Besson", "Langlois", "Rémy", "Le Goff", "Pelletier", "Lévêque",
    "Perrier", "Leblanc", "Barré", "Lebrun", "Marchal", "Weber", "Mallet", "Hamon",
    "Boulanger", "Jacob", "Monnier", "Michaud", "Rodriguez", "Guichard", "Gillet", "Étienne",
    "Grondin", "Poulain", "Tessier", "Chevallier", "Collin", "Chauvin", "Da Silva", "Bouchet",
    "Gay", "Lemaître", "Bénard", "Maréchal", "Humbert", "Reynaud", "Antoine", "Hoarau",
    "Perret", "Barthélemy", "Cordier", "Pichon", "Lejeune", "Gilbert", "Lamy", "Delaunay",
    "Pasquier", "Carlier", "Laporte", "Nguyen", "Diallo", "Traoré", "Benali", "Dos Santos",
    "Ferreira", "Pereira", "Haddad", "Kone", "Cissé", "Mendy", "Le Bihan", "Kerjean",
    "Quéméneur", "Le Floc'h", "Ould-Ahmed", "N'Diaye", "D'Almeida", "D'Angelo", "Saint-Martin",
    "Dupont-Aignan", "Fabre-Luce", "Giscard-d'Estaing", "De La Fontaine", "Du Pré",
    "Œuvrard", "Cœurdevey", "Lœuillet", "Sœur", "Bœuf", "Hænni", "Castaño", "Ibáñez",
    "Müller", "Schœlcher", "Abélard", "Aït-Kaci", "Bouchaïb", "Zaïdi", "Kerhervé",
    "Lê", "Trần", "Ngô", "Düzgün", "Øvergaard", "Zyśk", "Ąkerman",
)  # fmt: skip

BOYS: tuple[str, ...] = (
    "Gabriel", "Léo", "Raphaël", "Louis", "Arthur", "Jules", "Maël", "Adam", "Lucas",
    "Hugo", "Noah", "Sacha", "Gabin", "Nathan", "Mohamed", "Aaron", "Tom", "Léon", "Liam",
    "Paul", "Éthan", "Timéo", "Théo", "Nolan", "Mathis", "Ethan", "Marius", "Victor",
    "Axel", "Noé", "Isaac", "Naël", "Valentin", "Mathéo", "Antoine", "Martin", "Maxime",
    "Samuel", "Baptiste", "Clément", "Enzo", "Alexandre", "Thomas", "Yanis", "Évan",
    "Jean", "Pierre", "Joël", "Loïc", "Benoît", "Aurélien", "Timothée", "Jérôme", "Anaël",
    "Jean-Baptiste", "Pierre-Louis", "Jean-Marie", "Marc-Antoine", "Louis-Marie",
    "Côme", "Anatole", "Aurèle", "Ismaël", "Yaël", "Élie", "Gwenaël", "Hervé",
    "Zéphyrin", "Oscar", "Malo", "Eliott", "Kylian", "Ayoub", "Youssef", "Ilyès",
)  # fmt: skip

GIRLS: tuple[str, ...] = (
    "Jade", "Louise", "Emma", "Ambre", "Alice", "Rose", "Anna", "Alba", "Romy", "Mia",
    "Léa", "Lina", "Chloé", "Julia", "Iris", "Agathe", "Juliette", "Inès", "Zoé", "Léna",
    "Lou", "Mila", "Nina", "Manon", "Camille", "Sarah", "Clémence", "Éva", "Charlotte",
    "Margaux", "Anaïs", "Noémie", "Hélène", "Gaëlle", "Éloïse", "Héloïse", "Maëlys",
    "Océane", "Léonie", "Adèle", "Célia", "Bérénice", "Joséphine", "Apolline", "Capucine",
    "Marie", "Anne", "Sophie", "Claire", "Élise", "Mathilde", "Salomé", "Laïa", "Maïa",
    "Marie-Ève", "Anne-Laure", "Marie-Claire", "Anne-Sophie", "Marie-Lou", "Lou-Anne",
    "Athénaïs", "Énora", "Gwenaëlle", "Ysé", "Aëlys", "Cléo", "Thaïs", "Noëlie",
    "Aïcha", "Fatoumata", "Yasmine", "Nour", "Naïa", "Ophélie", "Séverine",
)  # fmt: skip
